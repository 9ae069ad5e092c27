"""`orderhub shop …` end to end: the real command line, the real Pinduoduo client, the
sandbox gateway and the loopback callback listener, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from cli.main import main
from cli.oauth_callback import CallbackListener
from core.accounts import audit
from core.errors import AuthenticationFailed
from core.shops import binding
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import TEST_KEY

REDIRECT = "https://hub.example.cn/oauth/pinduoduo/callback"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(orders=10, rate_limits=False)) as server:
        yield server


@pytest.fixture
def cli_env(monkeypatch, settings, tmp_path, acme, sandbox):
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    for key, value in sandbox.client_settings().items():
        monkeypatch.setenv(f"ORDERHUB_PLATFORMS__PINDUODUO__{key.upper()}", value)
    return acme


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def owner(sandbox: SandboxServer, index: int = 0) -> str:
    return sandbox.sandbox.shops[index].owner_id


def approve(url: str, owner_id: str) -> str:
    """The merchant's browser on the consent page: returns the redirect it is sent to."""
    response = httpx.get(f"{url}&{urlencode({'owner_id': owner_id})}", follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def test_bind_follow_list_set_interval_unbind(cli_env, capsys, app, sandbox) -> None:
    code, out, err = run(capsys, "--json", "shop", "bind", "--platform", "pinduoduo", "--follow")
    assert code == 0, err
    shop = json.loads(out)
    assert shop["platform_shop_id"] == owner(sandbox) and shop["status"] == "active"
    assert "http://127.0.0.1:" in err  # the printed URL carries the loopback redirect
    assert "access_token" not in out

    code, out, _ = run(capsys, "--json", "shop", "list")
    assert [s["id"] for s in json.loads(out)] == [shop["id"]]
    code, out, _ = run(capsys, "shop", "list")
    assert code == 0 and "every 5 min" in out and sandbox.sandbox.shops[0].owner_name in out

    code, out, err = run(capsys, "--json", "shop", "set-interval", str(shop["id"]), "15")
    assert code == 0, err
    assert json.loads(out)["sync_interval_minutes"] == 15
    code, out, _ = run(capsys, "--json", "shop", "set-interval", str(shop["id"]), "--disable")
    assert json.loads(out)["sync_enabled"] is False
    code, _, err = run(capsys, "shop", "set-interval", str(shop["id"]), "61")
    assert code == 1 and "1 to 60" in err

    code, out, err = run(capsys, "--json", "shop", "unbind", str(shop["id"]))
    assert code == 0, err
    assert json.loads(out)["status"] == "unbound"
    code, _, err = run(capsys, "shop", "unbind", str(shop["id"]))
    assert code == 1 and "already unbound" in err

    with app.tx() as session:
        events = audit.events(session, cli_env.org_id, limit=50)
    assert {"shop.bind", "shop.sync_settings", "shop.unbind"} <= {e.action for e in events}
    assert all(e.actor_label.startswith("cli:") for e in events if e.action.startswith("shop."))


def test_follow_approves_the_named_sandbox_shop(cli_env, capsys, sandbox) -> None:
    code, out, err = run(
        capsys,
        "--json",
        "shop",
        "bind",
        "--platform",
        "pinduoduo",
        "--follow",
        "--sandbox-shop",
        owner(sandbox, 1),
    )
    assert code == 0, err
    assert json.loads(out)["platform_shop_id"] == owner(sandbox, 1)


def test_bind_as_a_user_applies_their_permissions(cli_env, capsys, app) -> None:
    cli_env.staff("wang", "打单员")  # may view orders, may not bind shops
    code, _, err = run(
        capsys, "shop", "bind", "--platform", "pinduoduo", "--follow", "--as", "wang"
    )
    assert code == 1 and "lacks permission shop.bind" in err
    assert run(capsys, "--json", "shop", "list", "--as", "wang")[:2] == (0, "[]\n")
    code, _, err = run(capsys, "shop", "list", "--as", "ghost")
    assert code == 1 and "no user 'ghost'" in err

    code, out, err = run(
        capsys, "--json", "shop", "bind", "--platform", "pinduoduo", "--follow", "--as", "boss"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "active"
    with app.tx() as session:
        (event,) = audit.events(session, cli_env.org_id, action="shop.bind")
    assert event.actor_label == "boss" and event.actor_user_id == cli_env.admin_id


def test_manual_flow_with_code_and_state(cli_env, capsys, sandbox) -> None:
    code, out, err = run(
        capsys, "--json", "shop", "bind", "--platform", "pinduoduo", "--redirect-uri", REDIRECT
    )
    assert code == 0, err
    started = json.loads(out)
    location = approve(started["url"], owner(sandbox))
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [started["state"]]

    code, out, err = run(
        capsys, "--json", "shop", "bind", "--code", query["code"][0], "--state", started["state"]
    )
    assert code == 0, err
    assert json.loads(out)["platform_shop_id"] == owner(sandbox)
    code, _, err = run(
        capsys, "shop", "bind", "--code", query["code"][0], "--state", started["state"]
    )
    assert code == 1 and "already used" in err

    # Re-authorising with the full redirect URL pasted from the browser's address bar.
    code, out, _ = run(
        capsys, "--json", "shop", "bind", "--platform", "pinduoduo", "--redirect-uri", REDIRECT
    )
    location = approve(json.loads(out)["url"], owner(sandbox))
    code, out, err = run(capsys, "--json", "shop", "bind", "--callback-url", location)
    assert code == 0, err
    assert json.loads(out)["status"] == "active"


@pytest.mark.parametrize("form", ["separate", "joined"])
def test_a_state_or_code_starting_with_a_dash_reaches_the_binding(
    cli_env, capsys, sandbox, form: str
) -> None:
    """States issued by older versions (and platforms' codes) may start with "-"."""
    code, out, err = run(
        capsys, "--json", "shop", "bind", "--platform", "pinduoduo", "--redirect-uri", REDIRECT
    )
    assert code == 0, err
    query = parse_qs(urlsplit(approve(json.loads(out)["url"], owner(sandbox))).query)
    dashed_state = "-" + query["state"][0][1:]  # as a state made by token_urlsafe could be

    def bind(code_value: str, state_value: str) -> tuple[int, str, str]:
        if form == "joined":
            return run(capsys, "shop", "bind", f"--code={code_value}", f"--state={state_value}")
        return run(capsys, "shop", "bind", "--code", code_value, "--state", state_value)

    status, _, err = bind(query["code"][0], dashed_state)
    assert status == 1 and "unknown to this orderhub" in err  # the service saw the value
    status, _, err = bind("-" + query["code"][0], query["state"][0])
    assert status == 1 and "expected one argument" not in err
    assert "orderhub: error:" in err  # the platform refused the code, not argparse


def test_a_missing_state_value_is_still_a_usage_error(cli_env, capsys) -> None:
    with pytest.raises(SystemExit) as exited:  # an option's name is not taken as the value
        main(["shop", "bind", "--code", "abc", "--state", "--json"])
    assert exited.value.code == 2 and "--state: expected one argument" in capsys.readouterr().err


def test_no_redirect_in_time_is_a_clear_error(cli_env, capsys) -> None:
    code, _, err = run(capsys, "shop", "bind", "--platform", "pinduoduo", "--timeout", "1")
    assert code == 1
    assert "no authorisation arrived within 1 s" in err


def test_follow_refuses_a_page_that_does_not_approve(cli_env, capsys, monkeypatch, sandbox):
    # A consent page that shows no approval link and never redirects (as the real one would).
    monkeypatch.setenv("ORDERHUB_PLATFORMS__PINDUODUO__AUTH_URL", f"{sandbox.url}/nowhere")
    code, _, err = run(capsys, "shop", "bind", "--platform", "pinduoduo", "--follow")
    assert code == 1 and "did not redirect back" in err


def test_usage_errors(cli_env, capsys) -> None:
    assert run(capsys, "shop", "bind")[0] == 2
    assert run(capsys, "shop", "set-interval", "1")[0] == 2
    code, _, err = run(capsys, "shop", "bind", "--code", "abc")
    assert code == 1 and "both the code and the state" in err
    code, _, err = run(capsys, "shop", "bind", "--platform", "taobao", "--follow")
    assert code == 1 and "unknown platform 'taobao'" in err


# ---------------------------------------------------------------- the loopback listener


def test_listener_only_accepts_its_own_state() -> None:
    calls: list[tuple[str, str]] = []

    def finish(code: str, state: str) -> tuple[object, str]:
        calls.append((code, state))
        return "bound", "shop bound"

    listener = CallbackListener(finish)
    try:
        listener.start("the-right-state-0123456789")
        base = listener.redirect_uri
        assert base.startswith("http://127.0.0.1:") and base.endswith("/callback")
        assert httpx.get(base.replace("/callback", "/favicon.ico")).status_code == 404
        stray = httpx.get(f"{base}?code=x&state=someone-elses-state")
        assert stray.status_code == 400 and not listener.done.is_set()
        assert calls == []
        ok = httpx.get(f"{base}?code=c0de&state=the-right-state-0123456789")
        assert ok.status_code == 200 and "shop bound" in ok.text
        assert ok.headers["cache-control"] == "no-store"
        assert listener.wait(1) and listener.outcome.result == "bound"
        assert calls == [("c0de", "the-right-state-0123456789")]
    finally:
        listener.close()


def test_listener_reports_a_refusal_and_a_failed_binding() -> None:
    refused = CallbackListener(lambda code, state: ("never", ""))
    try:
        refused.start("state-abcdefghijklmnop")
        page = httpx.get(f"{refused.redirect_uri}?error=access_denied&state=state-abcdefghijklmnop")
        assert page.status_code == 400 and "access_denied" in page.text
        assert isinstance(refused.outcome.error, AuthenticationFailed)
    finally:
        refused.close()

    def failing(code: str, state: str) -> tuple[object, str]:
        raise AuthenticationFailed("this authorisation link expired")

    failed = CallbackListener(failing)
    try:
        failed.start("state-abcdefghijklmnop")
        page = httpx.get(f"{failed.redirect_uri}?code=c&state=state-abcdefghijklmnop")
        assert page.status_code == 400 and "link expired" in page.text
        assert failed.wait(1) and "expired" in str(failed.outcome.error)
    finally:
        failed.close()


def test_service_and_cli_share_the_shop_view(cli_env, capsys, app) -> None:
    """What the CLI prints is the service's ShopInfo: same ids, no credentials field."""
    code, out, err = run(capsys, "--json", "shop", "bind", "--platform", "pinduoduo", "--follow")
    assert code == 0, err
    printed = json.loads(out)
    (info,) = binding.list_shops(app, cli_env.admin)
    assert printed["id"] == info.id and "credentials" not in printed
