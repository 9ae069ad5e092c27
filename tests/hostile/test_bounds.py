"""The resource bounds docs/architecture.md lists that no other test proves: how many
orders or packages one call takes, and how many issues one import report keeps."""

from __future__ import annotations

import pytest

from core.app import App
from core.contracts import ImportIssue
from core.errors import ValidationError
from core.importing.report import MAX_ISSUES, MAX_MESSAGE, ImportReport
from core.orders import packages
from core.waybills import allocation
from tests.conftest import OrgFixture


def test_one_call_packs_at_most_max_orders(app: App, acme: OrgFixture) -> None:
    too_many = list(range(1, packages.MAX_ORDERS + 2))
    with pytest.raises(ValidationError, match=f"at most {packages.MAX_ORDERS} orders"):
        packages.ensure_packages(app, acme.admin, too_many)


def test_one_allocation_takes_at_most_max_packages(app: App, acme: OrgFixture) -> None:
    too_many = list(range(1, allocation.MAX_PACKAGES + 2))
    with pytest.raises(ValidationError, match=str(allocation.MAX_PACKAGES)):
        allocation.allocate(app, acme.admin, too_many, "yto-0")


def test_a_report_keeps_at_most_max_issues_and_counts_them_all() -> None:
    report = ImportReport(filename="big.csv", format="mapped", shop_id=1)
    report.add_issues(
        [ImportIssue(row=n, message="warned", severity="warning") for n in range(2, 2 + MAX_ISSUES)]
    )
    report.add_issues([ImportIssue(row=n, message="x" * 10_000) for n in range(5000, 5010)])

    assert len(report.issues) == MAX_ISSUES
    assert (report.warnings, report.errors, report.issues_left_off) == (MAX_ISSUES, 10, 10)
    kept_errors = [i for i in report.issues if i.severity == "error"]
    assert len(kept_errors) == 10  # errors displace warnings, never the other way round
    assert all(len(i.message) <= MAX_MESSAGE for i in kept_errors)
