"""Key rotation on a real database: every encrypted column moves to the new key, nothing lost."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from cli.main import main
from core import crypto, key_codecs, keys
from core.app import App, open_app
from core.config import Settings
from core.errors import ConfigurationError
from core.models import Order, Org, Shop, User
from core.models.base import EncryptedJSON, EncryptedText, Payload, PayloadJSON, json_text

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


# --- every encrypted column kind: EncryptedJSON credentials, PayloadJSON order payloads -----

TOKENS = {"access_token": "pdd-令牌-1", "refresh_token": "pdd-refresh-1"}
PAYLOADS = {
    "sealed": {"order_sn": "S-1", "receiver_name": "张三"},
    "clear": {"order_sn": "C-1", "receiver_name": "张*"},
    "legacy": {"order_sn": "L-1", "receiver_phone": "13800000000"},
    "legacy_text": {"order_sn": "T-1", "receiver_address": "上海市"},  # SQLite only
}


def _add_shop_and_orders(app: App) -> dict[str, int]:
    """A shop with platform tokens and one order per stored `raw` form; order ids by form.

    `legacy` is the text ciphertext written before migration 0005, as bytes (as 0005 left it
    on both backends); `legacy_text` the same kept as TEXT, which only SQLite can hold.
    """
    forms = [f for f in PAYLOADS if f != "legacy_text" or _is_sqlite(app)]
    with app.tx() as session:
        org = Org(name="raw-org")
        session.add(org)
        session.flush()
        shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="9", name="店")
        shop.credentials = TOKENS
        session.add(shop)
        session.flush()
        orders = {}
        for form in forms:
            raw = Payload(PAYLOADS[form], personal=form != "clear")
            orders[form] = Order(org_id=org.id, shop_id=shop.id, platform_order_no=form, raw=raw)
        session.add_all(orders.values())
        session.flush()
        ids = {form: order.id for form, order in orders.items()}
    for form in ("legacy", "legacy_text"):
        if form in ids:
            old_text = app.keyring.encrypt(json_text(PAYLOADS[form]))
            _set_raw(app, ids[form], old_text.encode("ascii") if form == "legacy" else old_text)
    return ids


def _is_sqlite(app: App) -> bool:
    return app.engine.dialect.name == "sqlite"


def _set_raw(app: App, order_id: int, value: bytes | str) -> None:
    with app.engine.begin() as conn:
        conn.execute(
            text("UPDATE orders SET raw = :v WHERE id = :id"), {"v": value, "id": order_id}
        )


def _raw_payloads(app: App) -> dict[int, bytes | str]:
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, raw FROM orders"))
        return {i: v if isinstance(v, str) else bytes(v) for i, v in rows}


def _raw_credentials(app: App) -> str:
    with app.engine.connect() as conn:
        return conn.execute(text("SELECT credentials FROM shops")).scalar_one()


def _counts(status: keys.KeyStatus, table: str, column: str) -> tuple[int, int, int, int]:
    """(current, old, clear, unreadable) of one column."""
    c = next(c for c in status.columns if (c.table, c.column) == (table, column))
    return c.current, c.old, c.clear, c.unreadable


def _rotation(report: keys.RotationReport, table: str, column: str) -> keys.ColumnRotation:
    return next(c for c in report.columns if (c.table, c.column) == (table, column))


def test_rotation_covers_shop_credentials_and_order_payloads(file_app: App, test_key: str) -> None:
    ids = _add_shop_and_orders(file_app)
    sealed_count = len(ids) - 1  # every form but the clear one is (or becomes) sealed
    before, credentials_before = _raw_payloads(file_app), _raw_credentials(file_app)
    keys.rotate_keys(file_app, reencrypt_now=False)
    status = keys.key_status(file_app)
    assert _counts(status, "shops", "credentials") == (0, 1, 0, 0)
    assert _counts(status, "orders", "raw") == (0, sealed_count, 1, 0)

    report = keys.reencrypt(file_app, batch_size=2)

    raw = _rotation(report, "orders", "raw")
    assert (raw.scanned, raw.rotated, raw.already_current, raw.clear) == (
        len(ids),
        sealed_count,
        0,
        1,
    )
    assert _rotation(report, "shops", "credentials").rotated == 1
    new_key = crypto.read_key_file(file_app.settings.effective_key_file)[0]
    only_new, only_old = crypto.Keyring([new_key]), crypto.Keyring([test_key])
    credentials = _raw_credentials(file_app)
    assert credentials != credentials_before
    assert json.loads(only_new.decrypt(credentials)) == TOKENS
    with pytest.raises(ConfigurationError):
        only_old.decrypt(credentials)
    after = _raw_payloads(file_app)
    assert after[ids["clear"]] == before[ids["clear"]]  # clear JSON: nothing to rotate
    for form, order_id in ids.items():
        if form == "clear":
            continue
        stored = after[order_id]
        assert isinstance(stored, bytes) and stored[:1] == b"s"  # legacy forms converted
        assert json.loads(only_new.unseal(stored[1:])) == PAYLOADS[form]
        with pytest.raises(ConfigurationError):
            only_old.unseal(stored[1:])
    with file_app.tx() as session:
        assert session.query(Shop).one().credentials == TOKENS
        assert {o.id: o.raw for o in session.query(Order)} == {
            order_id: PAYLOADS[form] for form, order_id in ids.items()
        }
    status = keys.key_status(file_app)
    assert _counts(status, "shops", "credentials") == (1, 0, 0, 0)
    assert _counts(status, "orders", "raw") == (sealed_count, 0, 1, 0)
    again = _rotation(keys.reencrypt(file_app), "orders", "raw")
    assert (again.rotated, again.already_current, again.clear) == (0, sealed_count, 1)
    assert _raw_payloads(file_app) == after  # nothing rewritten the second time


def test_a_legacy_payload_under_the_newest_key_is_still_converted(app: App) -> None:
    ids = _add_shop_and_orders(app)
    legacy_count = 2 if _is_sqlite(app) else 1
    assert _counts(keys.key_status(app), "orders", "raw") == (1, legacy_count, 1, 0)
    raw = _rotation(keys.reencrypt(app), "orders", "raw")
    assert (raw.rotated, raw.already_current, raw.clear) == (legacy_count, 1, 1)
    assert _raw_payloads(app)[ids["legacy"]][:1] == b"s"
    assert _counts(keys.key_status(app), "orders", "raw") == (1 + legacy_count, 0, 1, 0)


def test_a_payload_saved_meanwhile_is_not_overwritten(
    file_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guarded UPDATE holds for bytes, and for legacy TEXT values on SQLite."""
    ids = _add_shop_and_orders(file_app)
    keys.rotate_keys(file_app, reencrypt_now=False)
    saved: list[int] = []

    class SavedMeanwhile(key_codecs.PayloadCodec):
        def rotate(
            self, keyring: crypto.Keyring, stored: object
        ) -> tuple[key_codecs.State, object]:
            if not saved:  # another process saves every order after this batch was read
                with file_app.tx() as session:
                    for order in session.query(Order):
                        order.raw = Payload({"edited": order.id})
                        saved.append(order.id)
            return super().rotate(keyring, stored)

    monkeypatch.setitem(key_codecs.CODECS, "payload", SavedMeanwhile())
    report = keys.reencrypt(file_app)
    raw = _rotation(report, "orders", "raw")
    assert (raw.rotated, raw.skipped_changed, raw.clear) == (0, len(ids) - 1, 1)
    assert report.remaining == len(ids) - 1
    with file_app.tx() as session:
        assert {o.id: o.raw for o in session.query(Order)} == {i: {"edited": i} for i in saved}


def test_a_fernet_value_under_the_newest_key_counts_as_old(app: App, test_key: str) -> None:
    """Status agrees with reencrypt, which rewrites `fernet:` values in the AES-GCM form."""
    from cryptography.fernet import Fernet

    _add_users(app, SECRETS[:1])
    old_form = "fernet:" + Fernet(test_key).encrypt(SECRETS[0].encode()).decode("ascii")
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE users SET totp_secret = :v"), {"v": old_form})
    assert _counts(keys.key_status(app), "users", "totp_secret") == (0, 1, 0, 0)
    assert keys.reencrypt(app).rotated == 1
    assert _raw_secrets(app)["user0"].startswith("aead:")
    assert _counts(keys.key_status(app), "users", "totp_secret") == (1, 0, 0, 0)


def _tamper_text(value: str) -> str:
    """One base64 character of the tag changed (the padding is at most two characters)."""
    return value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]


@pytest.mark.parametrize("damage", ["credentials", "sealed", "unknown", "legacy"])
def test_a_tampered_value_names_its_table_column_and_row(file_app: App, damage: str) -> None:
    ids = _add_shop_and_orders(file_app)
    if damage == "credentials":
        where, row_id = ("shops", "credentials"), 1
        with file_app.engine.begin() as conn:
            tampered = _tamper_text(_raw_credentials(file_app))
            conn.execute(text("UPDATE shops SET credentials = :v"), {"v": tampered})
    else:
        where, row_id = ("orders", "raw"), ids["legacy" if damage == "legacy" else "sealed"]
        stored = _raw_payloads(file_app)[row_id]
        assert isinstance(stored, bytes)
        if damage == "sealed":
            _set_raw(file_app, row_id, stored[:-1] + bytes([stored[-1] ^ 1]))
        elif damage == "unknown":
            _set_raw(file_app, row_id, b"x" + stored[1:])
        else:
            _set_raw(file_app, row_id, _tamper_text(stored.decode("ascii")).encode("ascii"))
    assert _counts(keys.key_status(file_app), *where)[3] == 1
    before = _raw_payloads(file_app), _raw_credentials(file_app)
    keys.rotate_keys(file_app, reencrypt_now=False)
    expected = re.escape(f"{where[0]}.{where[1]} row id={row_id}: ")
    if damage == "unknown":
        expected += "stored payload is damaged: unknown format"
    with pytest.raises(ConfigurationError, match=expected):
        keys.reencrypt(file_app)
    tampered_after = _raw_payloads(file_app)[row_id] if where[0] == "orders" else None
    if tampered_after is not None:
        assert tampered_after == before[0][row_id]
    else:
        assert _raw_credentials(file_app) == before[1]


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


def test_cli_keys_counts_and_rotates_every_column_kind(
    cli_env: Path, file_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _add_shop_and_orders(file_app)
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
