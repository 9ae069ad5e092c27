"""Reports over HTTP: the list, JSON rows (money in `_fen` columns, absent without
finance.view and said so), CSV, XLSX and PNG; permissions (403), another org's data never
counted, another org's shop not found (404), bad input (422 naming the field)."""

from __future__ import annotations

import io

import msgspec
import openpyxl
import pytest
from httpx import Client as ApiClient

from api.routes import REGISTRY
from core.reports import catalog
from tests.api.conftest import assert_problem, login
from tests.reports.world import FIRST, LAST, World, build, sh

PERIOD = f"from={FIRST}&to={LAST}"


@pytest.fixture
def world(app, acme, frozen_clock) -> World:  # type: ignore[no-untyped-def]
    frozen_clock[0] = sh(1, 10)
    return build(app, acme)


def test_the_list_names_every_report(client: ApiClient, world: World) -> None:
    r = client.get("/v1/reports", headers=login(client, "boss"))
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["name"] for i in items] == list(catalog.REPORTS)
    assert items[0] == {
        "name": "orders",
        "title": "订单统计 orders per day/shop",
        "by": list(catalog.REPORTS["orders"].groupings),
        "money": True,
        "shop": True,
    }


def test_json_rows_with_money_for_finance_view(client: ApiClient, world: World) -> None:
    r = client.get(f"/v1/reports/orders?{PERIOD}&by=shop", headers=login(client, "boss"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["report"], body["from"], body["to"], body["by"]) == ("orders", FIRST, LAST, "shop")
    assert [c["key"] for c in body["columns"]] == ["key", "orders", "amount_fen", "average_fen"]
    assert [c["kind"] for c in body["columns"]][2:] == ["fen", "fen"]
    assert body["rows"] == [
        {"key": "旗舰店", "orders": 2, "amount_fen": 3000, "average_fen": 1500},
        {"key": "杯子店", "orders": 2, "amount_fen": 3500, "average_fen": 1750},
    ]
    assert (body["hidden"], body["hidden_needs"]) == ([], None)


def test_money_is_absent_without_finance_view_and_the_json_says_so(
    client: ApiClient, world: World
) -> None:
    viewer = login(client, "viewer")
    body = client.get(f"/v1/reports/orders?{PERIOD}&by=shop", headers=viewer).json()
    assert [c["key"] for c in body["columns"]] == ["key", "orders"]
    assert body["rows"] == [{"key": "旗舰店", "orders": 2}, {"key": "杯子店", "orders": 2}]
    assert body["hidden"] == ["实付 paid", "客单价 per order"]
    assert body["hidden_needs"] == "finance.view"
    r = client.get(f"/v1/reports/orders?{PERIOD}&by=shop&format=csv", headers=viewer)
    assert r.content.decode("utf-8-sig").splitlines() == [
        "店铺 shop,订单 orders",
        "旗舰店,2",
        "杯子店,2",
    ]


def test_csv_xlsx_and_png(client: ApiClient, world: World) -> None:
    headers = login(client, "boss")
    url = f"/v1/reports/orders?{PERIOD}&by=shop&format="
    r = client.get(url + "csv", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == (f'attachment; filename="orders-{FIRST}-{LAST}.csv"')
    assert r.content.decode("utf-8-sig").splitlines() == [
        "店铺 shop,订单 orders,实付 paid (元),客单价 per order (元)",
        "旗舰店,2,30,15",
        "杯子店,2,35,17.5",
    ]
    r = client.get(url + "xlsx", headers=headers)
    assert r.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["店铺 shop", "订单 orders", "实付 paid (元)", "客单价 per order (元)"],
        ["旗舰店", 2, 30, 15],
        ["杯子店", 2, 35, 17.5],
    ]
    r = client.get(url + "png", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_without_a_period_the_last_30_days(client: ApiClient, world: World) -> None:
    body = client.get("/v1/reports/shipped", headers=login(client, "boss")).json()
    assert (body["from"], body["to"]) == ("2025-12-12", "2026-01-10")  # the clock: 1-10 00:00
    body = client.get("/v1/reports/shipped?to=2026-01-05", headers=login(client, "boss")).json()
    assert (body["from"], body["to"]) == ("2026-01-05", "2026-01-05")


def test_permission_and_another_orgs_shop(client: ApiClient, world: World) -> None:
    clerk = login(client, "clerk")  # 打单员: no report.view
    for fmt in ("json", "csv", "png"):
        r = client.get(f"/v1/reports/orders?{PERIOD}&format={fmt}", headers=clerk)
        assert assert_problem(r, 403, "permission_denied")["permission"] == "report.view"
    rival = login(client, "rival")
    body = client.get(f"/v1/reports/orders?{PERIOD}&by=shop", headers=rival).json()
    assert all(row["key"] not in ("旗舰店", "杯子店") for row in body["rows"])
    r = client.get(f"/v1/reports/orders?{PERIOD}&shop=旗舰店", headers=rival)
    assert_problem(r, 404, "not_found")


def test_bad_input_names_the_field(client: ApiClient, world: World) -> None:
    headers = login(client, "boss")
    for url, name in (
        ("/v1/reports/nope", "name"),
        (f"/v1/reports/orders?{PERIOD}&by=carrier", "by"),
        ("/v1/reports/orders?from=2026-02-30", "from"),
        ("/v1/reports/orders?from=2026-01-07&to=2026-01-01", "to"),
        (f"/v1/reports/orders?{PERIOD}&format=pdf", "format"),
        (f"/v1/reports/orders?{PERIOD}&colour=red", "colour"),
    ):
        r = client.get(url, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, url
    r = client.get("/v1/reports/carriers?from=2025-06-01&to=2025-06-30&format=png", headers=headers)
    assert_problem(r, 422, "validation_error")  # no rows: nothing to chart


def test_answers_decode_as_their_declared_response_types(client: ApiClient, world: World) -> None:
    headers = login(client, "boss")
    urls = {"/v1/reports": "/v1/reports", "/v1/reports/{name}": f"/v1/reports/carriers?{PERIOD}"}
    checked = 0
    for op in REGISTRY.operations:
        if op.method == "GET" and op.path in urls:
            r = client.get(urls[op.path], headers=headers)
            assert r.status_code == op.status, r.text
            msgspec.json.decode(r.content, type=op.response, strict=True)
            checked += 1
    assert checked == len(urls)
