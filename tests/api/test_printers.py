"""Printers over HTTP: add (raw TCP 9100, a PDF folder), read, change, remove, and a
test page printed on the recording TCP printer double; 403, 404 and 422 naming the field."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from httpx import Client as ApiClient

from api.routes import REGISTRY
from tests.api.conftest import assert_problem, login
from tests.printers.doubles.tcp_printer import LoopbackPrinter


@pytest.fixture
def listener() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as printer:
        yield printer


def _network(port: int, name: str = "仓库一号") -> dict[str, object]:
    return {
        "name": name,
        "driver": "network",
        "settings": {"host": "127.0.0.1", "port": port, "connect_timeout": 1},
        "language": "tspl",
        "media_width_mm": 100,
        "media_height_mm": 150,
    }


def test_add_read_change_test_and_remove(client: ApiClient, acme, listener, tmp_path) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    r = client.post("/v1/printers", json=_network(listener.port), headers=headers)
    assert r.status_code == 201, r.text
    added = r.json()
    assert added == {
        "name": "仓库一号",
        "driver": "network",
        "language": "tspl",
        "dpi": 203,
        "media_width_mm": 100.0,
        "media_height_mm": 150.0,
        "offset_x_mm": 0.0,
        "offset_y_mm": 0.0,
        "cjk_font": "",
        "enabled": True,
        "settings": {"host": "127.0.0.1", "port": listener.port, "connect_timeout": 1},
        "render": {},
    }
    assert r.headers["location"] == "/v1/printers/%E4%BB%93%E5%BA%93%E4%B8%80%E5%8F%B7"
    assert client.get(r.headers["location"], headers=headers).json() == added
    pdf = {
        "name": "pdf",
        "driver": "file",
        "language": "pdf",
        "settings": {"folder": str(tmp_path)},
    }
    assert client.post("/v1/printers", json=pdf, headers=headers).json()["language"] == "pdf"
    listed = client.get("/v1/printers", headers=headers).json()["items"]
    assert [p["name"] for p in listed] == ["pdf", "仓库一号"]
    assert client.get("/v1/printers/仓库一号", headers=headers).json() == added

    r = client.patch(
        "/v1/printers/仓库一号", json={"dpi": 300, "media_height_mm": 100}, headers=headers
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["dpi"], changed["media_width_mm"], changed["media_height_mm"]) == (
        300,
        100.0,
        100.0,
    )
    assert changed["settings"] == added["settings"]

    r = client.post(
        "/v1/printers/仓库一号/calibrate", json={"dx_mm": 1.5, "dy_mm": -0.5}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["offset_x_mm"], r.json()["offset_y_mm"]) == (1.5, -0.5)
    body = assert_problem(
        client.post(
            "/v1/printers/仓库一号/calibrate", json={"dx_mm": 30, "dy_mm": 0}, headers=headers
        ),
        422,
        "validation_error",
    )
    assert body["field"] == "dx_mm"
    r = client.post("/v1/printers/仓库一号/test-page", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["printer"] == "仓库一号" and r.json()["bytes"] > 100
    assert listener.wait_until(lambda: listener.total() >= r.json()["bytes"])
    assert b"SIZE 100 mm,100 mm" in listener.received

    assert client.delete("/v1/printers/pdf", headers=headers).status_code == 204
    assert_problem(client.get("/v1/printers/pdf", headers=headers), 404, "not_found")
    assert [p["name"] for p in client.get("/v1/printers", headers=headers).json()["items"]] == [
        "仓库一号"
    ]


def test_bad_input_names_the_field(client: ApiClient, acme, listener) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    for body, name in (
        ({**_network(listener.port), "dpi": 50}, "dpi"),
        ({**_network(listener.port), "media_width_mm": 5}, "media_width_mm"),
        ({**_network(listener.port), "name": ""}, "name"),
        ({**_network(listener.port), "driver": "telepathy"}, "driver"),
        ({**_network(listener.port), "language": "zebra-basic"}, "language"),
        ({**_network(listener.port), "colour": True}, "colour"),
        ({"name": "x"}, "driver"),
    ):
        r = client.post("/v1/printers", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, (body, r.text)
    assert (
        client.post("/v1/printers", json=_network(listener.port), headers=headers).status_code
        == 201
    )
    r = client.post("/v1/printers", json=_network(listener.port), headers=headers)
    assert assert_problem(r, 409, "conflict")["field"] == "name"
    r = client.patch("/v1/printers/仓库一号", json={"dpi": "high"}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "dpi"
    r = client.patch("/v1/printers/仓库一号", json={"name": "new"}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "name"
    assert_problem(client.patch("/v1/printers/nope", json={}, headers=headers), 404, "not_found")
    assert_problem(client.delete("/v1/printers/nope", headers=headers), 404, "not_found")
    assert_problem(client.post("/v1/printers/nope/test-page", headers=headers), 404, "not_found")


def test_permissions_and_other_orgs(client: ApiClient, listener, acme, globex) -> None:  # type: ignore[no-untyped-def]
    boss = login(client, "boss")
    client.post("/v1/printers", json=_network(listener.port), headers=boss)
    acme.staff("clerk", "print_operator")
    acme.staff("reader", "read_only")
    clerk, reader = login(client, "clerk"), login(client, "reader")
    assert [p["name"] for p in client.get("/v1/printers", headers=clerk).json()["items"]] == [
        "仓库一号"
    ]
    assert_problem(client.get("/v1/printers", headers=reader), 403, "permission_denied")
    assert_problem(
        client.post("/v1/printers/仓库一号/test-page", headers=reader), 403, "permission_denied"
    )
    for method, url, body in (
        ("POST", "/v1/printers", _network(listener.port, "other")),
        ("PATCH", "/v1/printers/仓库一号", {"enabled": False}),
        ("DELETE", "/v1/printers/仓库一号", None),
        ("POST", "/v1/printers/仓库一号/calibrate", {"dx_mm": 1, "dy_mm": 1}),
    ):
        r = client.request(method, url, json=body, headers=clerk)
        assert_problem(r, 403, "permission_denied")
    hank = login(client, "hank")
    assert client.get("/v1/printers", headers=hank).json()["items"] == []
    for method, url, body in (
        ("GET", "/v1/printers/仓库一号", None),
        ("PATCH", "/v1/printers/仓库一号", {"enabled": False}),
        ("DELETE", "/v1/printers/仓库一号", None),
        ("POST", "/v1/printers/仓库一号/test-page", None),
        ("POST", "/v1/printers/仓库一号/calibrate", {"dx_mm": 1, "dy_mm": 1}),
    ):
        assert_problem(client.request(method, url, json=body, headers=hank), 404, "not_found")
    [printer] = client.get("/v1/printers", headers=boss).json()["items"]
    assert printer["enabled"] is True and listener.connections == []


def test_answers_decode_as_their_declared_types(client: ApiClient, acme, listener) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    answers = {
        ("POST", "/v1/printers"): client.post(
            "/v1/printers", json=_network(listener.port, "gp"), headers=headers
        ),
        ("GET", "/v1/printers"): client.get("/v1/printers", headers=headers),
        ("GET", "/v1/printers/{name}"): client.get("/v1/printers/gp", headers=headers),
        ("PATCH", "/v1/printers/{name}"): client.patch(
            "/v1/printers/gp", json={"enabled": False}, headers=headers
        ),
    }
    for key, answer in answers.items():
        assert answer.status_code == ops[key].status, answer.text
        msgspec.json.decode(answer.content, type=ops[key].response, strict=True)
