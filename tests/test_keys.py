"""Key rotation on a real database: every encrypted column moves to the new key, nothing lost."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from cli.main import main
from core import crypto, keys
from core.app import App, open_app
from core.config import Settings
from core.errors import ConfigurationError
from core.models import Org, User
from core.models.base import EncryptedText

SECRETS = ["JBSWY3DPEHPK3PXP", "种子二号", "third-秘密", "4444", "fifth"]


@pytest.fixture
def test_key(settings: Settings) -> str:
    """The key the test settings start with (the conftest's, from ORDERHUB_SECRET_KEY)."""
    return settings.secret_key


@pytest.fixture
def file_app(settings: Settings, test_key: str, tmp_path: Path) -> Iterator[App]:
    """The app with keys in a key file (as after `orderhub init`), not in the environment."""
    key_file = tmp_path / "keys" / "secret.keys"
    crypto.write_key_file(key_file, [test_key])
    application = open_app(replace(settings, secret_key="", key_file=key_file))
    yield application
    application.close()


def _add_users(app: App, secrets: list[str | None]) -> None:
    with app.tx() as session:
        org = Org(name="keys-org")
        session.add(org)
        session.flush()
        for i, secret in enumerate(secrets):
            session.add(
                User(org_id=org.id, username=f"user{i}", password_hash="x", totp_secret=secret)
            )


def _raw_secrets(app: App) -> dict[str, str]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT username, totp_secret FROM users WHERE totp_secret IS NOT NULL")
        )
        return {name: value for name, value in rows}


def _orm_secrets(app: App) -> dict[str, str | None]:
    with app.tx() as session:
        return {u.username: u.totp_secret for u in session.query(User)}


def test_encrypted_columns_are_found_by_type() -> None:
    found = keys.encrypted_columns()
    assert keys.EncryptedColumn("users", "totp_secret", ("id",)) in found
    metadata = sa.MetaData()
    sa.Table(
        "future_shops",
        metadata,
        sa.Column("shop_id", sa.Integer, primary_key=True),
        sa.Column("region", sa.String(8), primary_key=True),
        sa.Column("access_token", EncryptedText()),
        sa.Column("name", sa.String(50)),
    )
    assert keys.encrypted_columns(metadata) == [
        keys.EncryptedColumn("future_shops", "access_token", ("shop_id", "region"))
    ]


def test_encrypted_column_without_primary_key_is_a_clear_error() -> None:
    metadata = sa.MetaData()
    sa.Table("loose", metadata, sa.Column("token", EncryptedText()))
    with pytest.raises(ConfigurationError, match=r"loose\.token"):
        keys.encrypted_columns(metadata)


def test_rotate_keys_moves_every_secret_to_a_new_key(file_app: App, test_key: str) -> None:
    _add_users(file_app, [*SECRETS, None])
    before = _raw_secrets(file_app)
    key_file = file_app.settings.effective_key_file

    report = keys.rotate_keys(file_app)

    users = next(c for c in report.columns if (c.table, c.column) == ("users", "totp_secret"))
    assert (users.scanned, users.rotated, users.already_current) == (len(SECRETS), len(SECRETS), 0)
    assert report.key_count == 2
    file_keys = crypto.read_key_file(key_file)
    assert file_keys[1] == test_key and len(file_keys) == 2  # new key first, old one kept
    assert report.new_key == crypto.fingerprint(file_keys[0])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    after = _raw_secrets(file_app)
    assert set(after) == set(before)
    only_new, only_old = crypto.Keyring([file_keys[0]]), crypto.Keyring([test_key])
    for name, value in after.items():
        assert value != before[name]
        assert only_new.decrypt(value) == only_old.decrypt(before[name])
        with pytest.raises(ConfigurationError):
            only_old.decrypt(value)
    # The process-wide keyring is the new one: the ORM reads, and writes under the new key.
    assert file_app.keyring.keys == file_keys
    assert crypto.current_keyring().keys == file_keys
    assert _orm_secrets(file_app) == {f"user{i}": s for i, s in enumerate([*SECRETS, None])}
    with file_app.tx() as session:
        session.add(User(org_id=1, username="later", password_hash="x", totp_secret="new"))
    assert only_new.decrypt(_raw_secrets(file_app)["later"]) == "new"


def test_reencrypt_is_idempotent_and_works_in_batches(file_app: App) -> None:
    _add_users(file_app, SECRETS)
    added = keys.rotate_keys(file_app, reencrypt_now=False)
    assert added.columns == []
    status = keys.key_status(file_app)
    users = next(c for c in status.columns if c.table == "users")
    assert (users.current, users.old, users.unreadable) == (0, len(SECRETS), 0)

    first = keys.reencrypt(file_app, batch_size=2)
    assert first.rotated == len(SECRETS) and first.remaining == 0
    settled = _raw_secrets(file_app)
    second = keys.reencrypt(file_app, batch_size=2)
    assert second.rotated == 0
    users_again = next(c for c in second.columns if c.table == "users")
    assert users_again.already_current == len(SECRETS)
    assert _raw_secrets(file_app) == settled  # nothing rewritten the second time
    users = next(c for c in keys.key_status(file_app).columns if c.table == "users")
    assert (users.current, users.old) == (len(SECRETS), 0)


def test_rotating_twice_keeps_every_key_and_all_data(file_app: App, test_key: str) -> None:
    _add_users(file_app, SECRETS)
    keys.rotate_keys(file_app)
    keys.rotate_keys(file_app)
    file_keys = crypto.read_key_file(file_app.settings.effective_key_file)
    assert len(file_keys) == 3 and file_keys[-1] == test_key
    newest = crypto.Keyring(file_keys[:1])
    assert sorted(newest.decrypt(v) for v in _raw_secrets(file_app).values()) == sorted(SECRETS)


def test_rotate_refuses_when_keys_come_from_the_environment(app: App) -> None:
    _add_users(app, SECRETS)
    before = _raw_secrets(app)
    with pytest.raises(ConfigurationError, match="ORDERHUB_SECRET_KEY") as caught:
        keys.rotate_keys(app)
    assert "first" in str(caught.value) and "reencrypt" in str(caught.value)
    assert _raw_secrets(app) == before


def test_environment_rotation_is_new_key_first_then_reencrypt(
    app: App, settings: Settings, test_key: str
) -> None:
    _add_users(app, SECRETS)
    new_key = crypto.generate_key()
    app.close()
    # What the user does: put the new key first in ORDERHUB_SECRET_KEY, restart, re-encrypt.
    rotated = open_app(replace(settings, secret_key=f"{new_key},{test_key}"))
    try:
        report = keys.reencrypt(rotated)
        assert report.rotated == len(SECRETS) and report.new_key is None
        only_new = crypto.Keyring([new_key])
        assert sorted(only_new.decrypt(v) for v in _raw_secrets(rotated).values()) == sorted(
            SECRETS
        )
        assert keys.key_status(rotated).source == "environment"
    finally:
        rotated.close()


def test_a_value_no_key_can_read_is_reported_not_rewritten(file_app: App) -> None:
    _add_users(file_app, SECRETS[:2])
    foreign = crypto.Keyring([crypto.generate_key()]).encrypt("lost")
    with file_app.engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET totp_secret = :v WHERE username = 'user1'"), {"v": foreign}
        )
    users = next(c for c in keys.key_status(file_app).columns if c.table == "users")
    assert (users.current, users.unreadable) == (1, 1)
    keys.rotate_keys(file_app, reencrypt_now=False)
    with pytest.raises(ConfigurationError, match=r"users\.totp_secret row id=2"):
        keys.reencrypt(file_app)
    assert _raw_secrets(file_app)["user1"] == foreign


# --- the command line --------------------------------------------------------------------


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
    _add_users(file_app, SECRETS)
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
    _add_users(file_app, SECRETS[:1])
    foreign = crypto.Keyring([crypto.generate_key()]).encrypt("lost")
    with file_app.engine.begin() as conn:
        conn.execute(text("UPDATE users SET totp_secret = :v"), {"v": foreign})
    assert main(["keys", "status"]) == 1
    captured = capsys.readouterr()
    assert "1 value(s) cannot be decrypted" in captured.err
