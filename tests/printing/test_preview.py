"""Previews (`core.printing.preview`): a template rendered to PNG for a screen, with an
order's data (receiver masked) or the kind's sample; print.run and the org are checked."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.errors import NotFound, PermissionDenied
from core.printing.preview import preview
from core.shipping.tracking import set_tracking_number
from tests.conftest import OrgFixture
from tests.shipping.conftest import ShipWorld, make_world


@pytest.fixture
def world(app, acme: OrgFixture) -> ShipWorld:
    return make_world(app, acme)


def picture(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_an_orders_label_is_its_waybills_with_the_receiver_masked(world: ShipWorld) -> None:
    order = world.order()
    set_tracking_number(world.app, world.admin, "SF1000000000001", "顺丰", order_number=order)
    shown = preview(world.app, world.admin, order_number=order, dpi=96)
    assert (shown.sample, shown.order_number, shown.waybill) == (False, order, "SF1000000000001")
    assert shown.template == "label-76x130@1" and (shown.width_mm, shown.height_mm) == (76, 130)
    image = picture(shown.png)
    assert image.mode == "1" and image.size == (round(76 / 25.4 * 96), round(130 / 25.4 * 96))
    black = image.histogram()[0]
    assert 0 < black < image.width * image.height
    assert shown.receiver == "李* 139****9000"  # world.order's 李四 13900139000, masked
    # the same order as sample data looks different: the order's data was drawn
    assert preview(world.app, world.admin).png != shown.png


def test_without_a_waybill_or_an_order_the_sample_is_shown(world: ShipWorld) -> None:
    order = world.order()
    world.package(order)
    shown = preview(world.app, world.admin, order_number=order)
    assert shown.sample and shown.order_number == "" and shown.waybill == ""
    slip = preview(world.app, world.admin, kind="packing_slip", order_number=order)
    assert not slip.sample and slip.template.startswith("packing-slip-a4@")
    assert preview(world.app, world.admin, kind="pick_list", order_number=order).sample


def test_preview_needs_print_run_and_the_orgs_order(world: ShipWorld, acme: OrgFixture) -> None:
    viewer = acme.staff("looker", "read_only")
    with pytest.raises(PermissionDenied):
        preview(world.app, viewer)
    with pytest.raises(NotFound, match="no order 999"):
        preview(world.app, world.admin, order_number="999")
    other = OrgFixture(world.app, "other", "otherboss")
    order = world.order()
    with pytest.raises(NotFound):
        preview(world.app, other.admin, order_number=order)
