"""`orderhub user|role|token|audit` end to end through the real command line entry point."""

from __future__ import annotations

import io
import json
import logging

import pytest

from cli.main import main
from core.accounts import auth
from core.errors import AuthenticationFailed
from tests.conftest import TEST_KEY


@pytest.fixture
def cli_env(monkeypatch, settings, tmp_path, acme):
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("ORDERHUB_AUTH_ARGON2_PARALLELISM", "1")
    return acme


def run(capsys, *argv: str, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_user_role_and_token_commands(cli_env, capsys, monkeypatch, app) -> None:
    code, out, err = run(
        capsys,
        "--json",
        "user",
        "add",
        "wang",
        "--role",
        "打单员",
        "--password-stdin",
        stdin="Wang-Password-1\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    assert json.loads(out)["roles"] == ["打单员"]

    code, out, _ = run(capsys, "--json", "user", "list")
    users = {u["username"]: u for u in json.loads(out)}
    assert users["wang"]["status"] == "active" and users["boss"]["roles"] == ["管理员"]

    assert run(capsys, "role", "create", "夜班", "order.view", "--based-on", "打单员")[0] == 0
    assert run(capsys, "role", "grant", "夜班", "print.reprint")[0] == 0
    assert run(capsys, "role", "assign", "wang", "夜班")[0] == 0
    code, out, _ = run(capsys, "--json", "role", "list")
    night = next(r for r in json.loads(out) if r["name"] == "夜班")
    assert "print.reprint" in night["permissions"]

    code, out, err = run(capsys, "--json", "token", "create", "wang", "--name", "scanner")
    assert code == 0, err
    token = json.loads(out)
    assert auth.authenticate(app, token["token"]).label == "wang"
    code, out, _ = run(capsys, "--json", "token", "list")
    assert all("token" not in row for row in json.loads(out))
    assert run(capsys, "token", "revoke", str(token["id"]))[0] == 0

    code, out, _ = run(capsys, "--json", "audit", "--limit", "20")
    actions = {e["action"] for e in json.loads(out)}
    assert {
        "user.create",
        "role.create",
        "role.grant",
        "user.role_assign",
        "token.create",
        "token.revoke",
    } <= actions
    assert all(
        e["actor"].startswith("cli:") for e in json.loads(out) if e["action"] != "org.create"
    )


def test_user_disable_reset_password_and_unlock(cli_env, capsys, monkeypatch, app) -> None:
    code, _, err = run(
        capsys,
        "user",
        "add",
        "lisi",
        "--password-stdin",
        stdin="Li-Password-11\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    code, _, err = run(
        capsys,
        "user",
        "reset-password",
        "lisi",
        "--password-stdin",
        stdin="Li-Password-22\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    auth.login(app, "lisi", "Li-Password-22")
    with pytest.raises(AuthenticationFailed):  # the caller learns nothing of the count …
        auth.login(app, "lisi", "Li-Password-33")
    code, out, _ = run(capsys, "--json", "user", "list")
    lisi = next(u for u in json.loads(out) if u["username"] == "lisi")
    assert (lisi["failed_logins"], lisi["locked_until"]) == (1, None)  # … the admin does
    assert run(capsys, "user", "unlock", "lisi")[0] == 0
    assert run(capsys, "user", "disable-2fa", "lisi")[0] == 0
    assert run(capsys, "user", "disable", "lisi")[0] == 0
    code, out, _ = run(capsys, "user", "list")
    assert any(line.split()[:1] == ["lisi"] and "disabled" in line for line in out.splitlines())


def test_errors_are_one_clear_line_and_exit_1(cli_env, capsys, monkeypatch) -> None:
    code, _, err = run(
        capsys, "user", "add", "zhao", "--password-stdin", stdin="123\n", monkeypatch=monkeypatch
    )
    assert code == 1
    assert err.strip() == "orderhub: error: password is too short: 3 characters, at least 10 needed"
    code, _, err = run(capsys, "role", "grant", "打单员", "pii.view")
    assert code == 1 and "built-in role 打单员 cannot be changed" in err
    code, _, err = run(capsys, "user", "disable", "ghost")
    assert code == 1 and "no user named 'ghost'" in err
    code, _, err = run(capsys, "role", "create", "x", "order.fly")
    assert code == 1 and "unknown permission 'order.fly'" in err
    assert "Traceback" not in err


def test_org_register_verify_and_list(cli_env, capsys, monkeypatch, app, caplog) -> None:
    import re

    from sqlalchemy import select

    from core.models import Alert

    code, out, err = run(
        capsys,
        "--json",
        "org",
        "register",
        "新店",
        "xindian",
        "--contact",
        "xd@example.com",
        "--password-stdin",
        stdin="Xin-Dian-Pass-1\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    assert json.loads(out)["code_sent_to"] == "xd@example.com"
    # The built-in log notifier shows the code on the operator's console (the CLI logs only
    # warnings otherwise), and stores an alert without it.
    [shown] = [r for r in caplog.records if r.name == "orderhub.notify"]
    assert shown.levelno == logging.INFO
    sent = re.search(r"registration code: (\d{6})\b", shown.getMessage()).group(1)
    with app.tx() as s:
        message = s.scalars(
            select(Alert.message).where(Alert.kind == "notification.register")
        ).one()
    assert sent not in message
    code, _, err = run(
        capsys, "org", "verify", "xindian", "000000" if sent != "000000" else "111111"
    )
    assert code == 1 and "wrong code" in err
    code, _, err = run(capsys, "org", "verify", "nobody-here", sent)
    assert code == 1 and "wrong code" in err  # the same answer for a name that is not waiting
    assert run(capsys, "org", "resend-code", "nobody-here")[0] == 0  # says nothing either way
    assert run(capsys, "org", "verify", "xindian", sent)[0] == 0
    code, out, _ = run(capsys, "--json", "org", "list")
    assert {o["name"]: o["status"] for o in json.loads(out)} == {"acme": "active", "新店": "active"}


def test_user_language_sets_and_lists_a_users_language(cli_env, capsys) -> None:
    assert run(capsys, "user", "language", "boss", "en")[0] == 0
    code, out, _ = run(capsys, "--json", "user", "list")
    assert code == 0 and json.loads(out)[0]["language"] == "en"
    code, out, _ = run(capsys, "user", "list")
    header, boss = out.splitlines()[:2]
    assert header.split()[-1] == "LANGUAGE" and boss.split()[-1] == "en"
    code, _, err = run(capsys, "user", "language", "boss", "fr")
    assert code != 0 and "unknown language 'fr'" in err and "Traceback" not in err
    assert run(capsys, "user", "language", "boss", "default")[0] == 0
    code, out, _ = run(capsys, "--json", "user", "list")
    assert json.loads(out)[0]["language"] is None
