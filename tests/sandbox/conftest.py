"""Sandbox gateway tests: a real server on a loopback port, spoken to over raw HTTP.

Requests are built and signed here (form-encoded, `sign_params`), independent of the
Pinduoduo client, so these tests pin the wire behaviour the client is later tested
against. Time is frozen through core's clock, which the sandbox follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core import clock
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from plugins.platforms.pinduoduo.sign import sign_params, stringify

#: pinduoduo.md §1.4, copied from the notes rather than from the sandbox's own table.
SUCCESS_KEYS = {
    "pdd.pop.auth.token.create": "pop_auth_token_create_response",
    "pdd.pop.auth.token.refresh": "pop_auth_token_refresh_response",
    "pdd.order.number.list.increment.get": "order_sn_increment_get_response",
    "pdd.order.list.get": "order_list_get_response",
    "pdd.order.information.get": "order_info_get_response",
    "pdd.order.status.get": "order_status_get_response",
    "pdd.time.get": "time_get_response",
    "pdd.open.decrypt.batch": "open_decrypt_batch_response",
    "pdd.open.decrypt.mask.batch": "open_decrypt_mask_batch_response",
    "pdd.logistics.companies.get": "logistics_companies_get_response",
    "pdd.logistics.online.send": "logistics_online_send_response",
    "pdd.goods.quantity.update": "goods_quantity_update_response",
    "pdd.waybill.search": "pdd_waybill_search_response",
    "pdd.waybill.get": "pdd_waybill_get_response",
    "pdd.waybill.cancel": "pdd_waybill_cancel_response",
    "pdd.waybill.query.by.waybillcode": "pdd_waybill_query_by_waybillcode_response",
    "pdd.cloudprint.stdtemplates.get": "pdd_cloudprint_stdtemplates_get_response",
}
INCREMENT = "pdd.order.number.list.increment.get"
ALL = {"order_status": 5, "refund_status": 5, "is_lucky_flag": 0}


class Gateway:
    """Raw, signed gateway calls against one sandbox server."""

    def __init__(self, server: SandboxServer, timeout: float = 10.0) -> None:
        self.server = server
        self.http = httpx.Client(timeout=timeout)

    def params(
        self, api: str, token: str | None = None, *, secret: str | None = None, **business: Any
    ) -> dict[str, str]:
        params = {
            "type": api,
            "client_id": self.server.config.client_id,
            "timestamp": str(int(clock.now().timestamp())),
            "data_type": "JSON",
        }
        if token:
            params["access_token"] = token
        params.update({k: stringify(v) for k, v in business.items() if v is not None})
        params["sign"] = sign_params(params, secret or self.server.config.client_secret)
        return params

    def post(self, params: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self.http.post(self.server.gateway_url, data=params, **kwargs)

    def call(self, api: str, token: str | None = None, **business: Any) -> dict[str, Any]:
        response = self.post(self.params(api, token, **business))
        assert response.status_code == 200, response.text
        return response.json()

    def ok(self, api: str, token: str | None = None, **business: Any) -> dict[str, Any]:
        body = self.call(api, token, **business)
        assert "error_response" not in body, body
        assert list(body) == [SUCCESS_KEYS[api]], body
        return body[SUCCESS_KEYS[api]]

    def error(self, api: str, token: str | None = None, **business: Any) -> dict[str, Any]:
        body = self.call(api, token, **business)
        assert list(body) == ["error_response"], body
        return body["error_response"]

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.server.control_url}{path}", **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def pages(
        self, token: str, start: int, end: int, page_size: int = 100, **filters: Any
    ) -> list[dict[str, Any]]:
        """Every page of a window, first to last, as the answers came."""
        out, page = [], 1
        while True:
            body = self.ok(
                INCREMENT,
                token,
                start_updated_at=start,
                end_updated_at=end,
                page=page,
                page_size=page_size,
                **{**ALL, **filters},
            )
            out.append(body)
            if not body["has_next"]:
                return out
            page += 1


BASE = SandboxConfig(seed=7, orders=400)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SandboxServer]:
    with SandboxServer(BASE) as running:
        yield running


@pytest.fixture
def server(shared_server: SandboxServer, frozen_clock: list) -> SandboxServer:
    """The module's server, started over for this test (same seed, frozen clock)."""
    shared_server.sandbox.reset(BASE)
    return shared_server


@pytest.fixture
def gw(server: SandboxServer) -> Iterator[Gateway]:
    gateway = Gateway(server)
    yield gateway
    gateway.http.close()


@pytest.fixture
def token(server: SandboxServer) -> str:
    """An access token of the first (busiest) demo shop."""
    return server.sandbox.grant()["access_token"]


def waybill_branch(gw: Gateway, token: str, wp_code: str) -> dict[str, Any]:
    cols = gw.ok("pdd.waybill.search", token, wp_code=wp_code)["waybill_apply_subscription_cols"]
    assert [c["wp_code"] for c in cols] == [wp_code]
    return cols[0]["branch_account_cols"][0]


def waybill_request(gw: Gateway, token: str, wp_code: str, object_ids: list[str]) -> dict[str, Any]:
    """A valid `param_waybill_cloud_print_apply_new_request`: one package per object id,
    each for one of the first shop's orders, sent from the branch's address."""
    sandbox = gw.server.sandbox
    owner_id = sandbox.shops[0].owner_id
    orders = [o.sn for o in sandbox.store.shop_orders(owner_id)][: len(object_ids)]
    address = waybill_branch(gw, token, wp_code)["shipp_address_cols"][0]
    dtos = [
        {
            "object_id": oid,
            "order_info": {"order_channels_type": "PDD", "trade_order_list": [sn]},
            "package_info": {"items": [{"name": "苹果", "count": 1}], "weight": 2500},
            "template_url": f"https://file-link.pinduoduo.com/{wp_code.lower()}_one",
            "user_id": owner_id,
        }
        for oid, sn in zip(object_ids, orders, strict=True)
    ]
    request = {
        "wp_code": wp_code,
        "sender": {
            "name": "仓库",
            "mobile": "13800000000",
            "address": {k: address[k] for k in ("province", "city", "district", "detail")},
        },
        "trade_order_info_dtos": dtos,
    }
    return request


def now_ts() -> int:
    return int(clock.now().timestamp())
