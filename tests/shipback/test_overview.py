"""A shipping desk's counts (`core.shipback.overview`): packages ready to confirm under
the org's verification setting, and outbox failures by state and class."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import PermissionDenied
from core.models import PackageLine, ShipmentOutbox
from core.shipback.overview import FailureClass, failure_classes, ready_counts
from core.shipping.settings import update_settings
from tests.conftest import OrgFixture
from tests.shipping.conftest import ShipWorld, make_world


@pytest.fixture
def world(app, acme: OrgFixture) -> ShipWorld:
    return make_world(app, acme)


def outbox_row(world: ShipWorld, state: str, error_class: str) -> None:
    """A row as the drain leaves it after the platform's answer."""
    number = world.order()
    package = world.package(number)
    with world.app.tx() as session:
        order_id = session.scalar(
            select(PackageLine.order_id).where(PackageLine.package_id == package)
        )
        session.add(
            ShipmentOutbox(
                org_id=world.org.org_id,
                shop_id=world.shop_id,
                order_id=order_id,
                order_number=number,
                package_id=package,
                logistics_company_id="44",
                tracking_number=f"SF{order_id:013d}",
                state=state,
                last_error_class=error_class,
                last_error=f"{error_class} answer",
            )
        )


def test_ready_counts_follow_the_orgs_verification_setting(world: ShipWorld) -> None:
    for status in ("verified", "printed", "printed", "new"):
        world.set_package(world.package(world.order()), status=status)
    counts = ready_counts(world.app, world.admin)
    assert (counts.verified, counts.printed, counts.require_verification) == (1, 2, False)
    assert counts.confirmable == 3
    update_settings(world.app, world.admin, require_verification=True)
    assert ready_counts(world.app, world.admin).confirmable == 1


def test_failures_are_counted_by_state_and_class_attention_first(world: ShipWorld) -> None:
    for state, error_class in (
        ("needs_person", "invalid"),
        ("needs_person", "invalid"),
        ("held", "refund"),
        ("pending", "transient"),
        ("pending", "transient"),
        ("pending", "transient"),
        ("pending", ""),  # never failed: not a failure
        ("done", ""),
    ):
        outbox_row(world, state, error_class)
    assert failure_classes(world.app, world.admin) == [
        FailureClass("needs_person", "invalid", 2),
        FailureClass("held", "refund", 1),
        FailureClass("pending", "transient", 3),
    ]


def test_counts_need_order_view_and_stay_in_the_org(world: ShipWorld, app) -> None:
    outbox_row(world, "held", "refund")
    other = OrgFixture(app, "other", "otherboss")
    assert failure_classes(app, other.admin) == []
    assert ready_counts(app, other.admin).verified == 0
    nobody = other.staff("clerk")
    with pytest.raises(PermissionDenied):
        failure_classes(app, nobody)
    with pytest.raises(PermissionDenied):
        ready_counts(app, nobody)
