"""Merchant authorization: the consent page, codes, tokens, expiry and refresh."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from tests.sandbox.conftest import ALL, INCREMENT, Gateway, now_ts

CREATE, REFRESH = "pdd.pop.auth.token.create", "pdd.pop.auth.token.refresh"


def _authorize(gw: Gateway, **extra: str):
    query = {
        "response_type": "code",
        "client_id": gw.server.config.client_id,
        "redirect_uri": "https://hub.example/cb?x=1",
        "state": "s-42",
        "view": "web",
        **extra,
    }
    return gw.http.get(gw.server.auth_url, params=query)


def _code(gw: Gateway, owner_id: str) -> str:
    response = _authorize(gw, owner_id=owner_id)
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://hub.example/cb"
    assert query["state"] == ["s-42"] and query["x"] == ["1"]
    return query["code"][0]


def _increment(gw: Gateway, token: str) -> dict:
    now = now_ts()
    return gw.call(INCREMENT, token, start_updated_at=now - 600, end_updated_at=now, **ALL)


def test_the_consent_page_lists_the_demo_shops(gw: Gateway) -> None:
    page = _authorize(gw)
    assert page.status_code == 200
    for shop in gw.server.sandbox.shops:
        assert shop.owner_id in page.text and shop.owner_name in page.text


def test_the_consent_page_refuses_a_wrong_client_or_redirect(gw: Gateway) -> None:
    assert _authorize(gw, client_id="nope").status_code == 400
    assert _authorize(gw, redirect_uri="javascript:alert(1)").status_code == 400
    assert _authorize(gw, response_type="token").status_code == 400
    assert _authorize(gw, owner_id="1").status_code == 400


def test_code_flow_binds_the_chosen_shop(gw: Gateway) -> None:
    shop = gw.server.sandbox.shops[1]
    grant = gw.ok(CREATE, code=_code(gw, shop.owner_id))
    assert grant["owner_id"] == shop.owner_id and grant["owner_name"] == shop.owner_name
    assert grant["expires_in"] == 86_400
    assert grant["expires_at"] == now_ts() + 86_400
    assert grant["refresh_token_expires_at"] == now_ts() + 30 * 86_400
    assert {"r1_expires_at", "w2_expires_in"} <= set(grant)
    assert INCREMENT in grant["scope"]
    body = _increment(gw, grant["access_token"])
    assert "order_sn_increment_get_response" in body


def test_a_code_is_single_use(gw: Gateway) -> None:
    code = _code(gw, gw.server.sandbox.shops[0].owner_id)
    gw.ok(CREATE, code=code)
    error = gw.error(CREATE, code=code)
    assert error["error_code"] == 50001 and "已使用" in error["sub_msg"]
    assert gw.error(CREATE, code="made-up")["error_code"] == 50001


def test_a_code_expires_after_ten_minutes(gw: Gateway, frozen_clock: list) -> None:
    code = _code(gw, gw.server.sandbox.shops[0].owner_id)
    frozen_clock[0] += timedelta(minutes=10, seconds=1)
    assert "已过期" in gw.error(CREATE, code=code)["sub_msg"]


def test_an_expired_token_is_10019_and_refresh_issues_a_new_one(
    gw: Gateway, frozen_clock: list
) -> None:
    gw.server.sandbox.reset(token_ttl=120)
    grant = gw.server.sandbox.grant()
    assert "error_response" not in _increment(gw, grant["access_token"])
    frozen_clock[0] += timedelta(seconds=120)
    error = _increment(gw, grant["access_token"])["error_response"]
    assert (error["error_code"], error["error_msg"]) == (10019, "access_token已过期")

    fresh = gw.ok(REFRESH, refresh_token=grant["refresh_token"])
    assert fresh["access_token"] != grant["access_token"]
    assert fresh["owner_id"] == grant["owner_id"] and fresh["expires_in"] == 120
    assert "error_response" not in _increment(gw, fresh["access_token"])


def test_refresh_revokes_the_old_access_token_at_once(gw: Gateway) -> None:
    grant = gw.server.sandbox.grant()
    fresh = gw.ok(REFRESH, refresh_token=grant["refresh_token"])
    assert _increment(gw, grant["access_token"])["error_response"]["error_code"] == 20032
    assert "error_response" not in _increment(gw, fresh["access_token"])
    # The refresh token itself stays valid: a client that crashed mid-refresh recovers.
    again = gw.ok(REFRESH, refresh_token=grant["refresh_token"])
    assert _increment(gw, fresh["access_token"])["error_response"]["error_code"] == 20032
    assert "error_response" not in _increment(gw, again["access_token"])


def test_an_expired_refresh_token_cannot_refresh(gw: Gateway, frozen_clock: list) -> None:
    grant = gw.server.sandbox.grant()
    frozen_clock[0] += timedelta(days=30, seconds=1)
    assert (
        "refresh_token已过期" in gw.error(REFRESH, refresh_token=grant["refresh_token"])["sub_msg"]
    )
    assert gw.error(REFRESH, refresh_token="nope")["error_code"] == 50001


def test_authorizing_again_revokes_the_earlier_grant(gw: Gateway) -> None:
    owner_id = gw.server.sandbox.shops[0].owner_id
    first = gw.ok(CREATE, code=_code(gw, owner_id))
    second = gw.ok(CREATE, code=_code(gw, owner_id))
    assert _increment(gw, first["access_token"])["error_response"]["error_code"] == 20032
    assert "error_response" not in gw.call(REFRESH, refresh_token=second["refresh_token"])
    assert gw.error(REFRESH, refresh_token=first["refresh_token"])["error_code"] == 50001


def test_tokens_of_one_shop_see_only_that_shop(gw: Gateway) -> None:
    sandbox = gw.server.sandbox
    first, second = (sandbox.grant(s.owner_id) for s in sandbox.shops)
    now = now_ts()
    window = {"start_updated_at": now - 1800, "end_updated_at": now, **ALL}
    for grant in (first, second):
        listed = gw.ok(INCREMENT, grant["access_token"], **window)["order_sn_list"]
        assert {o["order_sn"] for o in listed} <= {
            o.sn for o in sandbox.store.shop_orders(grant["owner_id"])
        }


def test_the_sandbox_can_expire_tokens_on_demand(gw: Gateway) -> None:
    grant = gw.server.sandbox.grant()
    expired = gw.control("POST", "/tokens/expire", json={"owner_id": grant["owner_id"]})
    assert expired == {"expired": 1}
    assert _increment(gw, grant["access_token"])["error_response"]["error_code"] == 10019
