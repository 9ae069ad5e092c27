"""`orderhub keys`: status, rotate, reencrypt and generate from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from cli.main import main
from core import crypto
from core.app import App
from tests.keys.rig import (
    SECRETS,
    add_shop_and_orders,
    add_users,
)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, file_app: App, tmp_path: Path) -> Path:
    key_file = file_app.settings.effective_key_file
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", file_app.settings.database_url)
    monkeypatch.setenv("ORDERHUB_KEY_FILE", str(key_file))
    monkeypatch.delenv("ORDERHUB_SECRET_KEY", raising=False)
    return key_file


def test_cli_keys_status_rotate_reencrypt(
    cli_env: Path, file_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    add_users(file_app, SECRETS)
    assert main(["keys", "status"]) == 0
    out = capsys.readouterr().out
    assert "keys: 1" in out and "users.totp_secret" in out

    assert main(["keys", "rotate", "--add-only"]) == 0
    assert "keys reencrypt" in capsys.readouterr().out
    assert main(["keys", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    users = next(c for c in status["columns"] if c["table"] == "users")
    assert status["key_count"] == 2 and users["old"] == len(SECRETS)

    assert main(["keys", "reencrypt", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rotated"] == len(SECRETS)
    assert main(["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert "3 key(s)" in out and "users.totp_secret" in out
    assert len(crypto.read_key_file(cli_env)) == 3


def test_cli_keys_rotate_with_environment_keys_fails_with_advice(
    cli_env: Path,
    test_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", test_key)
    assert main(["keys", "rotate"]) == 1
    assert "ORDERHUB_SECRET_KEY" in capsys.readouterr().err


def test_cli_keys_generate_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    key = capsys.readouterr().out.strip()
    assert crypto.Keyring([key]).decrypt(crypto.Keyring([key]).encrypt("ok")) == "ok"


def test_cli_keys_status_fails_when_a_value_cannot_be_read(
    cli_env: Path, file_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    add_users(file_app, SECRETS[:1])
    foreign = crypto.Keyring([crypto.generate_key()]).encrypt("lost")
    with file_app.engine.begin() as conn:
        conn.execute(text("UPDATE users SET totp_secret = :v"), {"v": foreign})
    assert main(["keys", "status"]) == 1
    captured = capsys.readouterr()
    assert "1 value(s) cannot be decrypted" in captured.err


def test_cli_keys_counts_and_rotates_every_column_kind(
    cli_env: Path, file_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = add_shop_and_orders(file_app)
    assert main(["keys", "status"]) == 0
    out = capsys.readouterr().out
    assert "shops.credentials" in out and "orders.raw" in out and "clear" in out
    assert main(["keys", "rotate", "--json"]) == 0
    columns = {
        f"{c['table']}.{c['column']}": c for c in json.loads(capsys.readouterr().out)["columns"]
    }
    assert columns["shops.credentials"]["rotated"] == 1
    assert (columns["orders.raw"]["rotated"], columns["orders.raw"]["clear"]) == (len(ids) - 1, 1)
    assert main(["keys", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)["columns"]
    raw = next(c for c in status if (c["table"], c["column"]) == ("orders", "raw"))
    assert (raw["current"], raw["old"], raw["clear"]) == (len(ids) - 1, 0, 1)
