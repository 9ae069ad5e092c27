"""The contract: routes and OpenAPI document agree; errors are problem+json; limits hold."""

from __future__ import annotations

from dataclasses import replace

import pytest
from httpx import Client as ApiClient
from starlette.routing import Route

from api import problems
from api.app import create_app
from api.contract import Call, Operation, Registry
from core.config import ApiSettings
from core.errors import ValidationError
from tests.api.asgi_client import asgi_client
from tests.api.conftest import assert_problem, login


def test_openapi_document_lists_exactly_the_routes(client: ApiClient) -> None:
    doc = client.get("/v1/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    documented = {(path, m.upper()) for path, item in doc["paths"].items() for m in item}
    served = {
        (r.path, m)
        for r in client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, Route) and r.path != "/v1/openapi.json"
        for m in r.methods or ()
        if m != "HEAD"
    }
    assert documented == served
    assert ("/v1/orders", "GET") in served
    # Every referenced schema is defined.
    text = client.get("/v1/openapi.json").text
    for name in doc["components"]["schemas"]:
        assert f"#/components/schemas/{name}" in text or name == "Problem"
    params = {p["name"] for p in doc["paths"]["/v1/orders"]["get"]["parameters"]}
    assert params == {"q", "after", "limit"}


def test_a_route_is_declared_once() -> None:
    reg = Registry()
    op = Operation("GET", "/v1/x", "x", lambda call: None, None)
    reg.add(op)
    with pytest.raises(ValueError, match="declared twice"):
        reg.add(op)


def test_unknown_route_and_method_are_problems(client: ApiClient) -> None:
    assert_problem(client.get("/v1/nothing"), 404, "no_such_route")
    assert_problem(client.delete("/v1/shops"), 405, "method_not_allowed")


def test_bad_body_names_the_field(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    body = assert_problem(
        client.post("/v1/auth/login", json={"password": "x"}), 422, "validation_error"
    )
    assert body["field"] == "username"
    body = assert_problem(
        client.post("/v1/auth/login", json={"username": 3, "password": "x"}),
        422,
        "validation_error",
    )
    assert body["field"] == "username"
    body = assert_problem(
        client.post(
            "/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
        "validation_error",
    )
    assert body["field"] == "body"


def test_too_large_body_is_413(settings, app) -> None:  # type: ignore[no-untyped-def]
    small = replace(settings, api=ApiSettings(max_body_bytes=1024))
    with asgi_client(create_app(small)) as c:
        r = c.post("/v1/auth/login", content=b"{" + b" " * 5000 + b"}")
        assert_problem(r, 413, "body_too_large")
        # Also without a Content-Length (chunked), the stream is cut at the limit.
        r = c.post("/v1/auth/login", content=iter([b"{", b" " * 3000, b"}"]))
        assert_problem(r, 413, "body_too_large")


def test_core_errors_map_to_stable_types_and_bugs_hide_tracebacks(settings, app) -> None:  # type: ignore[no-untyped-def]
    def invalid(call: Call) -> None:
        raise ValidationError("row 3: price must be a number", field="price", row=3)

    def broken(call: Call) -> None:
        raise RuntimeError("secret internals")

    reg = Registry()
    reg.add(Operation("GET", "/v1/invalid", "x", invalid, None, authenticated=False))
    reg.add(Operation("GET", "/v1/broken", "x", broken, None, authenticated=False))
    with asgi_client(create_app(settings, reg)) as c:
        body = assert_problem(c.get("/v1/invalid"), 422, "validation_error")
        assert (body["field"], body["row"]) == ("price", 3)
        r = c.get("/v1/broken")
        body = assert_problem(r, 500, "internal_error")
        assert "secret internals" not in r.text


def test_every_error_kind_has_a_status() -> None:
    from core import errors

    kinds = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.OrderhubError)
    ]
    for kind in kinds:
        assert problems.status_of(kind("x")) >= 400


def test_rate_limit_answers_429_with_retry_after(settings, acme) -> None:  # type: ignore[no-untyped-def]
    tight = replace(settings, api=ApiSettings(rate_per_minute=1, burst=3))
    with asgi_client(create_app(tight)) as c:
        headers = login(c, "boss")  # the login itself is counted on the client address
        for _ in range(3):
            assert c.get("/v1/shops", headers=headers).status_code == 200
        r = c.get("/v1/shops", headers=headers)
        assert_problem(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1
        # Another token has its own bucket.
        other = login(c, "boss")
        assert c.get("/v1/shops", headers=other).status_code == 200


def test_cors_is_off(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    headers = {**login(client, "boss"), "Origin": "https://evil.example"}
    r = client.get("/v1/shops", headers=headers)
    assert r.status_code == 200
    assert not any(h.lower().startswith("access-control-") for h in r.headers)
    preflight = client.options(
        "/v1/shops",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def _extra_registry() -> Registry:
    """Operations answering each kind of result the contract knows."""
    from api.contract import EventStream, Header, Raw, Reply
    from api.versions import IF_MATCH, etag, expected_version

    def _csv(call: Call) -> Raw:
        return Raw(b"a,b\r\n1,2\r\n", "text/csv", filename="x.csv")

    def _events(call: Call) -> EventStream:
        return EventStream(iter([("progress", {"done": 1}), ("end", {"done": 2})]))

    def _versioned(call: Call) -> Reply:
        return Reply(None, status=204, headers={"ETag": etag(expected_version(call) or 0)})

    reg = Registry()
    reg.add(Operation("GET", "/v1/x.csv", "csv", _csv, None, produces=("text/csv",)))
    reg.add(Operation("GET", "/v1/events", "sse", _events, None, stream=True))
    reg.add(
        Operation(
            "PUT",
            "/v1/versioned",
            "if-match",
            _versioned,
            None,
            headers=(IF_MATCH, Header("Idempotency-Key", "k")),
            status=204,
        )
    )
    return reg


def test_raw_stream_and_header_results(settings, app, acme) -> None:  # type: ignore[no-untyped-def]
    reg = _extra_registry()
    for op in reg.operations:
        object.__setattr__(op, "authenticated", False)
    with asgi_client(create_app(settings, reg)) as c:
        r = c.get("/v1/x.csv")
        assert r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"] == 'attachment; filename="x.csv"'
        assert r.content == b"a,b\r\n1,2\r\n"
        r = c.get("/v1/events")
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.text == 'event: progress\ndata: {"done":1}\n\nevent: end\ndata: {"done":2}\n\n'
        r = c.put("/v1/versioned", headers={"If-Match": 'W/"7"'})
        assert r.status_code == 204 and r.headers["etag"] == '"7"'
        body = assert_problem(
            c.put("/v1/versioned", headers={"If-Match": "seven"}), 422, "validation_error"
        )
        assert body["field"] == "If-Match"
        doc = c.get("/v1/openapi.json").json()
    assert "text/csv" in doc["paths"]["/v1/x.csv"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in doc["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]
    names = {p["name"] for p in doc["paths"]["/v1/versioned"]["put"]["parameters"]}
    assert names == {"If-Match", "Idempotency-Key"}


def test_a_nul_in_an_order_number_or_a_login_is_a_422(client, acme) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL cannot take NUL in text: before this check a NUL in an order number or a
    login name was a 500 there (schemathesis' kind of input)."""
    headers = login(client, "boss")
    for url, name in (
        ("/v1/orders/A%00", "number"),
        ("/v1/orders/A-1?shop=%00", "shop"),
        ("/v1/orders?q=order:A%00", "q"),
    ):
        body = assert_problem(client.get(url, headers=headers), 422, "validation_error")
        assert body["field"] == name, body
    r = client.post("/v1/auth/login", json={"username": "bo\u0000ss", "password": "x"})
    assert assert_problem(r, 422, "validation_error")["field"] == "body"
    # An escaped backslash before `u0000` is text, not a NUL: an ordinary failed login.
    r = client.post("/v1/auth/login", json={"username": "bo\\u0000ss", "password": "x"})
    assert_problem(r, 401, "authentication_failed")
    # Without a token the answer stays 401: nothing is said about the input first.
    assert_problem(client.get("/v1/orders/A%00"), 401, "authentication_failed")


def test_nul_characters_are_refused_before_core(client, acme) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL text cannot hold NUL: a path, query or body string with one is a 422."""
    headers = login(client, "boss")
    body = assert_problem(
        client.get("/v1/stock?text=a%00", headers=headers), 422, "validation_error"
    )
    assert body["field"] == "text"
    r = client.patch("/v1/skus/A%00", json={"name": "x"}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "code"
    r = client.post("/v1/skus", content=b'{"code": "A\\u0000"}', headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "body"
    # An escaped backslash followed by `u0000` is plain text, not a NUL.
    r = client.post("/v1/skus", content=b'{"code": "A\\\\u0000"}', headers=headers)
    assert r.status_code == 201 and r.json()["code"] == "A\\u0000"


def test_download_names_fit_a_latin_1_header() -> None:
    from api.app import _attachment

    assert _attachment("shipped-2026-12-01.csv") == 'attachment; filename="shipped-2026-12-01.csv"'
    chinese = _attachment("发货统计.xlsx")
    assert chinese.encode("latin-1")  # no UnicodeEncodeError: a header can carry it
    assert chinese.endswith("filename*=UTF-8''%E5%8F%91%E8%B4%A7%E7%BB%9F%E8%AE%A1.xlsx")
