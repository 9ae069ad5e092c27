"""Routing (三段码 / 大头笔, 集包地) of Pinduoduo waybills: the pure mapping against a
recorded `pdd.waybill.get` answer, and the real plugin against the sandbox gateway down to
the `routing` stored with our waybill rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.contracts import Contact, SortCode, WaybillItem, WaybillRef, WaybillRequest
from core.errors import ValidationError
from core.models import Waybill
from core.waybills import allocation
from plugins.carriers.pinduoduo_waybill import mapping
from tests.pinduoduo.fixtures import load

RECIPIENT = Contact(
    name="李雷",
    phone="13912345678",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    address="文三路90号",
)


def request(request_id: str) -> WaybillRequest:
    return WaybillRequest(
        request_id=request_id,
        carrier_code="YTO",
        sender=RECIPIENT,
        recipient=RECIPIENT,
        order_numbers=("231125-1",),
        items=(WaybillItem("保温杯", 1),),
    )


def test_routing_is_mapped_from_the_recorded_answer() -> None:
    body = load("waybill_get")["pdd_waybill_get_response"]
    ids = ["7f3a-41", "7f3a-42", "7f3a-43", "7f3a-44"]
    results = mapping.results_from_modules([request(i) for i in ids], body)
    routings = [r.waybill.routing for r in results]  # type: ignore[union-attr]
    assert routings[0] == SortCode(
        sort_code="544-E47 86",
        route_name="山东青岛",
        consolidation_name="青岛转运中心",
        consolidation_code="4841",
    )
    assert routings[1] == SortCode("280-E48 17", "陕西西安", "西安转运中心", "7867")
    # plain print data (need_encrypt false): data.routingInfo in the print component's shape
    assert routings[2] == SortCode("571-K12 06", "浙江杭州", "杭州转运中心", "5710")
    assert routings[3] is None  # sealed print data only: the component prints the routing
    modules = body["modules"]
    assert [r.waybill.print_data for r in results] == [m["print_data"] for m in modules]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (  # Cainiao-style keys, as direct-carrier answers name them
            {
                "routing_info": {
                    "short_address": "杭州 西湖",
                    "package_center_name": "杭州中心",
                    "package_center_code": 5710,
                }
            },
            SortCode("杭州 西湖", "", "杭州中心", "5710"),
        ),
        (  # only the 大头笔: it is the sort code too
            {"routing_info": {"bigShotName": " 浙江杭州 "}},
            SortCode("浙江杭州", "浙江杭州", "", ""),
        ),
        (  # wrong types are nothing, not text
            {
                "routing_info": {
                    "three_segment_code": ["571"],
                    "big_shot_name": True,
                    "consolidation": "杭州",
                }
            },
            None,
        ),
        ({"routing_info": {}}, None),
        ({"print_data": "{not json routingInfo"}, None),
        (
            {"print_data": {"data": {"routingInfo": {"threeSegmentCode": "300-A12 05"}}}},
            SortCode("300-A12 05", "", "", ""),
        ),
    ],
)
def test_routing_key_spellings_and_junk(module: dict, expected: SortCode | None) -> None:
    assert mapping.routing_from(module) == expected


def test_routing_text_is_bounded_and_typed() -> None:
    long = mapping.routing_from({"routing_info": {"three_segment_code": "9" * 500}})
    assert long is not None and long.sort_code == "9" * 64
    with pytest.raises(ValidationError, match="routing sort_code must be text"):
        SortCode(sort_code=571)  # type: ignore[arg-type]
    assert SortCode.from_dict({"sort_code": "", "route_name": ""}) is None
    assert SortCode.from_dict("571") is None
    stored = SortCode("571-K12 06", "浙江杭州", "杭州转运中心", "5710")
    assert SortCode.from_dict(stored.to_dict()) == stored


def test_a_reprint_query_keeps_the_routing() -> None:
    body = {
        "modules": [
            {
                "waybill_cloud_print_response": {
                    "object_id": "x",
                    "waybill_code": "YT1",
                    "print_data": "{}",
                    "routing_info": {"three_segment_code": "571-K12 06"},
                }
            }
        ]
    }
    refs = [WaybillRef("YTO", "YT1"), WaybillRef("YTO", "YT2")]
    first, second = mapping.waybills_from_query(refs, body)
    assert first.routing == SortCode("571-K12 06")
    assert (second.print_data, second.routing) == ("", None)


def test_allocated_waybills_store_the_sandbox_routing(rig) -> None:  # type: ignore[no-untyped-def]
    package_ids = rig.packages(count=3)
    account = rig.account("YUNDA")
    report = allocation.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in report.outcomes] == ["allocated"] * 3
    with rig.app.tx() as session:
        rows = list(session.scalars(select(Waybill).order_by(Waybill.package_id)))
    ledger = rig.sandbox.waybills.waybills
    for row in rows:
        issued = ledger[row.number].routing
        assert row.routing == {
            "sort_code": issued["three_segment_code"],
            "route_name": issued["big_shot_name"],
            "consolidation_name": issued["consolidation"]["name"],
            "consolidation_code": issued["consolidation"]["code"],
        }
