"""What the database itself refuses, on SQLite and PostgreSQL, whatever code writes to it:
two active waybills for one package (invariant 3), one number active twice, a second first
print of a waybill (invariant 4), a changed template version."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.models import (
    CarrierAccount,
    Package,
    PrintJob,
    PrintJobItem,
    Template,
    TemplateVersion,
    Waybill,
)


@pytest.fixture
def package(app, acme) -> dict[str, int]:
    with app.tx() as session:
        account = CarrierAccount(org_id=acme.org_id, name="manual", carrier="manual", wp_code="SF")
        first, second = Package(org_id=acme.org_id), Package(org_id=acme.org_id)
        session.add_all([account, first, second])
        session.flush()
        return {"account": account.id, "package": first.id, "other": second.id}


def add_waybill(app, acme, ids, number: str, status: str = "allocated", package: str = "package"):  # type: ignore[no-untyped-def]
    with app.tx() as session:
        session.execute(
            insert(Waybill).values(
                org_id=acme.org_id,
                package_id=ids[package],
                carrier_account_id=ids["account"],
                carrier="manual",
                carrier_code="SF",
                number=number,
                status=status,
            )
        )


def test_one_active_waybill_per_package(app, acme, package) -> None:
    add_waybill(app, acme, package, "SF1000000000001")
    for status in ("allocated", "printed", "cancelling"):
        with pytest.raises(IntegrityError, match=r"uq_waybills_active_package|UNIQUE"):
            add_waybill(app, acme, package, "SF1000000000002", status)
    # history is not limited: cancelled and recycled rows may pile up
    add_waybill(app, acme, package, "SF1000000000003", "cancelled")
    add_waybill(app, acme, package, "SF1000000000004", "recycled")
    with app.tx() as session:
        session.execute(
            update(Waybill).where(Waybill.number == "SF1000000000001").values(status="cancelled")
        )
    add_waybill(app, acme, package, "SF1000000000005", "allocated")


def test_one_number_active_on_one_package(app, acme, package) -> None:
    add_waybill(app, acme, package, "SF2000000000001")
    with pytest.raises(IntegrityError):
        add_waybill(app, acme, package, "SF2000000000001", package="other")
    with app.tx() as session:
        session.execute(update(Waybill).values(status="recycled"))
    add_waybill(app, acme, package, "SF2000000000001", package="other")  # typed again


def test_statuses_are_checked(app, acme, package) -> None:
    with pytest.raises(IntegrityError):
        add_waybill(app, acme, package, "SF3000000000001", "lost")
    with pytest.raises(IntegrityError), app.tx() as session:
        session.execute(update(Package).values(status="sent"))


def test_a_waybill_is_printed_first_once(app, acme, package) -> None:
    add_waybill(app, acme, package, "SF4000000000001")
    with app.tx() as session:
        waybill_id = session.scalar(text("SELECT id FROM waybills"))
        job = PrintJob(org_id=acme.org_id, kind="label")
        session.add(job)
        session.flush()
        job_id = job.id

    def item(position: int, **values: object) -> None:
        with app.tx() as session:
            session.add(
                PrintJobItem(
                    job_id=job_id,
                    org_id=acme.org_id,
                    position=position,
                    kind="label",
                    waybill_id=waybill_id,
                    **values,
                )
            )

    item(1, state="failed")  # a failed attempt does not count as printed
    item(2, state="done")
    with pytest.raises(IntegrityError):
        item(3)  # queued: a second first print
    item(4, reprint=True, reprint_reason="smudged")  # an explicit reprint is allowed
    with pytest.raises(IntegrityError):
        item(2, reprint=True, reprint_reason="same position")  # positions are unique per job


def test_template_versions_are_immutable(app) -> None:
    with app.tx() as session:
        template = Template(name="label-76x130", kind="label", width_mm=76, height_mm=130)
        session.add(template)
        session.flush()
        session.add(
            TemplateVersion(
                template_id=template.id,
                version=1,
                width_mm=76,
                height_mm=130,
                elements=[{"type": "box"}],
            )
        )
    with pytest.raises(DBAPIError, match="immutable"), app.tx() as session:
        session.execute(update(TemplateVersion).values(elements=[]))
    with app.tx() as session:
        session.execute(update(Template).values(current_version=2))  # templates themselves may
    with pytest.raises(IntegrityError), app.tx() as session:  # one built-in of a name
        session.add(Template(name="label-76x130", kind="label", width_mm=1, height_mm=1))
