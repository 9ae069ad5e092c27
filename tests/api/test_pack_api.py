"""The pack station over HTTP (扫描验货), packages drawn on the Pinduoduo sandbox: scan the
waybill, then each item, carrying the station from answer to answer; the last item
verifies the package. Refusals (wrong item, hold found between scans, counts that are not
the station's), permissions, another org's waybill; both backends."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from httpx import Client as ApiClient

from core.config import Settings
from core.desk.holds import hold_orders
from plugins.platforms.pinduoduo.sandbox import SandboxServer
from tests.api.conftest import assert_problem, login
from tests.api.sandbox import sandbox_settings
from tests.shipback.conftest import SANDBOX
from tests.shipback.rig import ShipRig
from tests.waybills.rig import serve_sandbox

SCANS = "/v1/pack/scans"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def settings(settings: Settings, database_url: str, sandbox: SandboxServer) -> Settings:
    # `database_url` named again: pytest keeps its backends' parameters on an override.
    return sandbox_settings(settings, sandbox)


@pytest.fixture
def rig(app, sandbox, acme) -> ShipRig:  # type: ignore[no-untyped-def]
    sandbox.sandbox.reset()
    return ShipRig(app, sandbox, acme)


def _scan(client: ApiClient, headers, code: str, station=None) -> dict:  # type: ignore[no-untyped-def]
    r = client.post(SCANS, json={"code": code, "station": station}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_scan_a_package_through_to_verified(client: ApiClient, rig: ShipRig) -> None:
    (package_id, waybill), *_ = rig.ready(1, printed=True).items()
    (order_number,) = rig.numbers_of([package_id])
    headers = login(client, "boss")

    first = _scan(client, headers, waybill)
    answer = first["answer"]
    assert (answer["ok"], answer["kind"], answer["package_id"]) == (True, "package", package_id)
    assert answer["waybill"] == waybill and answer["order_numbers"] == [order_number]
    items = answer["items"]
    assert items and all(i["scanned"] == 0 and i["expected"] >= 1 for i in items)
    assert first["station"] == {"waybill": waybill, "scanned": {}}

    # A code that is not in the package: refused loudly, the station stays as it was.
    wrong = _scan(client, headers, "NOT-AN-ITEM-42", first["station"])
    assert (wrong["answer"]["kind"], wrong["answer"]["loud"]) == ("wrong_item", True)
    assert wrong["station"] == first["station"]

    station = first["station"]
    plan = [i["code"] for i in items for _ in range(i["expected"])]
    for n, code in enumerate(plan, 1):
        got = _scan(client, headers, code, station)
        if n < len(plan):
            assert (got["answer"]["ok"], got["answer"]["kind"]) == (True, "item")
            assert sum(got["station"]["scanned"].values()) == n
            station = got["station"]
        else:
            assert (got["answer"]["ok"], got["answer"]["kind"]) == (True, "verified")
            assert got["station"] is None
            assert [i["scanned"] for i in got["answer"]["items"]] == [i["expected"] for i in items]
    assert rig.package_status(package_id) == "verified"

    again = _scan(client, headers, waybill)
    assert (again["answer"]["ok"], again["answer"]["kind"]) == (False, "refused")
    assert "already verified" in again["answer"]["message"]


def test_a_hold_between_two_scans_is_answered_loudly(
    client: ApiClient, app, rig: ShipRig, acme
) -> None:  # type: ignore[no-untyped-def]
    (package_id, waybill), *_ = rig.ready(1, printed=True).items()
    (order_number,) = rig.numbers_of([package_id])
    headers = login(client, "boss")
    first = _scan(client, headers, waybill)
    code = first["answer"]["items"][0]["code"]
    hold_orders(app, acme.admin, [order_number], reason="买家申请退款")

    got = _scan(client, headers, code, first["station"])
    assert (got["answer"]["ok"], got["answer"]["kind"], got["answer"]["loud"]) == (
        False,
        "hold",
        True,
    )
    assert "买家申请退款" in got["answer"]["message"]
    assert got["station"] is None
    assert rig.package_status(package_id) != "verified"


def test_counts_that_are_not_the_stations_are_refused(client: ApiClient, rig: ShipRig) -> None:
    (package_id, waybill), *_ = rig.ready(1, printed=True).items()
    headers = login(client, "boss")
    items = _scan(client, headers, waybill)["answer"]["items"]
    code, expected = items[0]["code"], items[0]["expected"]
    for scanned in (
        {"SOMETHING-ELSE": 1},
        {code: expected + 1},
        {i["code"]: i["expected"] for i in items},  # complete: it would be verified already
    ):
        r = client.post(
            SCANS,
            json={"code": code, "station": {"waybill": waybill, "scanned": scanned}},
            headers=headers,
        )
        assert assert_problem(r, 422, "validation_error")["field"] == "station", scanned
    assert rig.package_status(package_id) == "printed"


def test_pack_station_needs_ship_confirm_and_sees_only_its_org(
    client: ApiClient, rig: ShipRig, acme, globex
) -> None:  # type: ignore[no-untyped-def]
    (package_id, waybill), *_ = rig.ready(1, printed=True).items()
    acme.staff("kuaiji", "finance")
    r = client.post(SCANS, json={"code": waybill}, headers=login(client, "kuaiji"))
    assert_problem(r, 403, "permission_denied")
    # Another org's waybill is no waybill at all.
    theirs = _scan(client, login(client, "hank"), waybill)
    assert (theirs["answer"]["kind"], theirs["answer"]["package_id"]) == ("unknown", None)
    assert theirs["station"] is None
    assert rig.package_status(package_id) == "printed"


def test_scan_input_is_checked(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    for body, name in (
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": "x" * 101}, "code"),
        ({"code": "A", "station": {"scanned": {}}}, "waybill"),
        ({"code": "A", "station": {"waybill": "W", "scanned": {"A": -1}}}, "station"),
        ({"code": "A", "extra": True}, "extra"),
    ):
        r = client.post(SCANS, json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body


def test_answers_decode_as_their_declared_response_types(client: ApiClient, rig: ShipRig) -> None:
    from api.routes import REGISTRY

    (_, waybill), *_ = rig.ready(1, printed=True).items()
    (op,) = [op for op in REGISTRY.operations if op.path == SCANS]
    headers = login(client, "boss")
    for code in (waybill, "NOPE"):
        r = client.post(SCANS, json={"code": code}, headers=headers)
        assert r.status_code == op.status, r.text
        msgspec.json.decode(r.content, type=op.response, strict=True)
