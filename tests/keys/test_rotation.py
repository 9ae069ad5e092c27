"""Key rotation on a real database: every secret moves to the new key, nothing lost."""

from __future__ import annotations

import stat
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from core import crypto
from core.app import App
from core.config import Settings
from core.errors import ConfigurationError
from core.keys import rotation as keys
from core.models import User
from core.models.base import EncryptedJSON, EncryptedText, PayloadJSON
from core.startup import open_app
from tests.keys.rig import (
    SECRETS,
    add_users,
    raw_secrets,
)


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


def test_every_encrypted_column_type_is_found() -> None:
    found = keys.encrypted_columns()
    for table, column in [
        ("shops", "credentials"),
        ("carrier_accounts", "credentials"),
        ("waybills", "print_data"),
    ]:
        assert keys.EncryptedColumn(table, column, ("id",), "text") in found
    assert keys.EncryptedColumn("orders", "raw", ("id",), "payload") in found
    metadata = sa.MetaData()
    sa.Table(
        "future_payloads",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("secret", EncryptedJSON()),
        sa.Column("payload", PayloadJSON()),
    )
    assert keys.encrypted_columns(metadata) == [
        keys.EncryptedColumn("future_payloads", "secret", ("id",), "text"),
        keys.EncryptedColumn("future_payloads", "payload", ("id",), "payload"),
    ]


def test_encrypted_column_without_primary_key_is_a_clear_error() -> None:
    metadata = sa.MetaData()
    sa.Table("loose", metadata, sa.Column("token", EncryptedText()))
    with pytest.raises(ConfigurationError, match=r"loose\.token"):
        keys.encrypted_columns(metadata)


def test_rotate_keys_moves_every_secret_to_a_new_key(file_app: App, test_key: str) -> None:
    add_users(file_app, [*SECRETS, None])
    before = raw_secrets(file_app)
    key_file = file_app.settings.effective_key_file

    report = keys.rotate_keys(file_app)

    users = next(c for c in report.columns if (c.table, c.column) == ("users", "totp_secret"))
    assert (users.scanned, users.rotated, users.already_current) == (len(SECRETS), len(SECRETS), 0)
    assert report.key_count == 2
    file_keys = crypto.read_key_file(key_file)
    assert file_keys[1] == test_key and len(file_keys) == 2  # new key first, old one kept
    assert report.new_key == crypto.fingerprint(file_keys[0])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    after = raw_secrets(file_app)
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
    assert only_new.decrypt(raw_secrets(file_app)["later"]) == "new"


def test_reencrypt_is_idempotent_and_works_in_batches(file_app: App) -> None:
    add_users(file_app, SECRETS)
    added = keys.rotate_keys(file_app, reencrypt_now=False)
    assert added.columns == []
    status = keys.key_status(file_app)
    users = next(c for c in status.columns if c.table == "users")
    assert (users.current, users.old, users.unreadable) == (0, len(SECRETS), 0)

    first = keys.reencrypt(file_app, batch_size=2)
    assert first.rotated == len(SECRETS) and first.remaining == 0
    settled = raw_secrets(file_app)
    second = keys.reencrypt(file_app, batch_size=2)
    assert second.rotated == 0
    users_again = next(c for c in second.columns if c.table == "users")
    assert users_again.already_current == len(SECRETS)
    assert raw_secrets(file_app) == settled  # nothing rewritten the second time
    users = next(c for c in keys.key_status(file_app).columns if c.table == "users")
    assert (users.current, users.old) == (len(SECRETS), 0)


def test_rotating_twice_keeps_every_key_and_all_data(file_app: App, test_key: str) -> None:
    add_users(file_app, SECRETS)
    keys.rotate_keys(file_app)
    keys.rotate_keys(file_app)
    file_keys = crypto.read_key_file(file_app.settings.effective_key_file)
    assert len(file_keys) == 3 and file_keys[-1] == test_key
    newest = crypto.Keyring(file_keys[:1])
    assert sorted(newest.decrypt(v) for v in raw_secrets(file_app).values()) == sorted(SECRETS)


def test_rotate_refuses_when_keys_come_from_the_environment(app: App) -> None:
    add_users(app, SECRETS)
    before = raw_secrets(app)
    with pytest.raises(ConfigurationError, match="ORDERHUB_SECRET_KEY") as caught:
        keys.rotate_keys(app)
    assert "first" in str(caught.value) and "reencrypt" in str(caught.value)
    assert raw_secrets(app) == before


def test_environment_rotation_is_new_key_first_then_reencrypt(
    app: App, settings: Settings, test_key: str
) -> None:
    add_users(app, SECRETS)
    new_key = crypto.generate_key()
    app.close()
    # What the user does: put the new key first in ORDERHUB_SECRET_KEY, restart, re-encrypt.
    rotated = open_app(replace(settings, secret_key=f"{new_key},{test_key}"))
    try:
        report = keys.reencrypt(rotated)
        assert report.rotated == len(SECRETS) and report.new_key is None
        only_new = crypto.Keyring([new_key])
        assert sorted(only_new.decrypt(v) for v in raw_secrets(rotated).values()) == sorted(SECRETS)
        assert keys.key_status(rotated).source == "environment"
    finally:
        rotated.close()


def test_a_value_no_key_can_read_is_reported_not_rewritten(file_app: App) -> None:
    add_users(file_app, SECRETS[:2])
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
    assert raw_secrets(file_app)["user1"] == foreign
