"""A warehouse's sender (寄件人): set with its address and contact, printed on the labels and
packing slips of its orders and sent with their waybill requests; without one, the carrier
account's sender, as before warehouses had one."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core import clock
from core.contracts.types import Contact
from core.desk import rerouting
from core.errors import ValidationError
from core.models import CarrierAccount, Package, PackageLine
from core.printing import documents
from core.stock import warehouses
from core.templates import Party
from core.waybills.carrier_accounts import AccountInfo
from core.waybills.requests import build_requests
from tests.conftest import OrgFixture
from tests.desk.world import OrderSpec, store_world

PLACE = ("浙江省", "杭州市", "西湖区", "文三路 1 号")
STREET = Contact("", "", *PLACE)
ACCOUNT = Party("仓库老王", "0571-1234567", "江苏省 苏州市 吴中区 木渎镇 1 号")


def test_a_sender_needs_a_whole_address_and_defaults_to_the_contact(app, acme: OrgFixture) -> None:
    admin = acme.admin
    with pytest.raises(ValidationError, match="needs district too"):
        warehouses.add_warehouse(
            app, admin, "主仓", sender=Contact("", "", "浙江省", "杭州市", "", "文三路 1 号")
        )
    with pytest.raises(ValidationError, match="needs a name and a phone"):
        warehouses.add_warehouse(app, admin, "主仓", sender=STREET)
    house = warehouses.add_warehouse(
        app, admin, "主仓", contact="张三", phone="13900000001", sender=STREET
    )
    assert house.sender == "张三 13900000001 浙江省杭州市西湖区文三路 1 号"
    changed = warehouses.update_warehouse(
        app, admin, "主仓", sender=Contact("李四", "0571-8888", *PLACE)
    )
    assert changed.sender.startswith("李四 0571-8888 浙江省")
    cleared = warehouses.update_warehouse(app, admin, "主仓", sender=Contact(*[""] * 6))
    assert cleared.sender == "" and cleared.contact == "张三"
    with pytest.raises(ValidationError, match="make another one the default"):
        warehouses.update_warehouse(app, admin, "主仓", default=False)


def test_labels_and_waybill_requests_send_the_warehouses_sender(app, acme: OrgFixture) -> None:
    admin = acme.admin
    warehouses.add_warehouse(app, admin, "主仓")  # no sender of its own
    warehouses.add_warehouse(
        app, admin, "杭州仓", contact="张三", phone="13900000001", sender=STREET
    )
    world = store_world(app, acme.org_id, [OrderSpec(waybill=0), OrderSpec(waybill=0)])
    first, second = (o.number for o in world.orders)
    with app.tx() as s:
        s.execute(
            update(CarrierAccount).values(
                sender_name="仓库老王",
                sender_phone="0571-1234567",
                sender_province="江苏省",
                sender_city="苏州市",
                sender_district="吴中区",
                sender_town="木渎镇",
                sender_address="1 号",
            )
        )
    rerouting.route_orders(app, admin, [second], "杭州仓")

    def senders() -> dict[str, tuple[Party, Party, Contact]]:
        with app.tx() as s:
            ids = sorted(set(s.scalars(select(PackageLine.package_id))))
            account = AccountInfo.of(s.scalars(select(CarrierAccount)).first())
            packages = list(s.scalars(select(Package).where(Package.id.in_(ids))))
            requests = build_requests(s, account, packages)
            found = {}
            for package_id, source in documents.load_packages(s, ids).items():
                number = source.orders[0].platform_order_no
                label = documents.label_data(source, clock.now()).sender
                slip = documents.packing_slip_data(source, clock.now()).sender
                found[number] = (label, slip, requests[package_id].sender)
            return found

    own = Party("张三", "13900000001", "浙江省 杭州市 西湖区 文三路 1 号")
    found = senders()
    assert found[first][:2] == (ACCOUNT, ACCOUNT)  # 主仓 has none: the account's
    assert found[first][2].name == "仓库老王" and found[first][2].town == "木渎镇"
    assert found[second][:2] == (own, own)
    assert found[second][2] == Contact("张三", "13900000001", *PLACE)
    warehouses.update_warehouse(app, admin, "杭州仓", sender=Contact(*[""] * 6))
    assert senders()[second][0] == ACCOUNT  # removed: the account's again
