"""Rotation and status cover every encrypted column kind: `EncryptedJSON` credentials and
`PayloadJSON` order payloads in each stored form, tampered values named by row."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from core import crypto
from core.app import App
from core.errors import ConfigurationError
from core.keys import codecs, rotation
from core.models import Order, Shop
from core.models.base import Payload
from tests.keys.rig import (
    PAYLOADS,
    SECRETS,
    TOKENS,
    add_shop_and_orders,
    add_users,
    is_sqlite,
    raw_secrets,
    set_raw,
)


def _raw_payloads(app: App) -> dict[int, bytes | str]:
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, raw FROM orders"))
        return {i: v if isinstance(v, str) else bytes(v) for i, v in rows}


def _raw_credentials(app: App) -> str:
    with app.engine.connect() as conn:
        return conn.execute(text("SELECT credentials FROM shops")).scalar_one()


def _counts(status: rotation.KeyStatus, table: str, column: str) -> tuple[int, int, int, int]:
    """(current, old, clear, unreadable) of one column."""
    c = next(c for c in status.columns if (c.table, c.column) == (table, column))
    return c.current, c.old, c.clear, c.unreadable


def _rotation(report: rotation.RotationReport, table: str, column: str) -> rotation.ColumnRotation:
    return next(c for c in report.columns if (c.table, c.column) == (table, column))


def test_rotation_covers_shop_credentials_and_order_payloads(file_app: App, test_key: str) -> None:
    ids = add_shop_and_orders(file_app)
    sealed_count = len(ids) - 1  # every form but the clear one is (or becomes) sealed
    before, credentials_before = _raw_payloads(file_app), _raw_credentials(file_app)
    rotation.rotate_keys(file_app, reencrypt_now=False)
    status = rotation.key_status(file_app)
    assert _counts(status, "shops", "credentials") == (0, 1, 0, 0)
    assert _counts(status, "orders", "raw") == (0, sealed_count, 1, 0)

    report = rotation.reencrypt(file_app, batch_size=2)

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
    status = rotation.key_status(file_app)
    assert _counts(status, "shops", "credentials") == (1, 0, 0, 0)
    assert _counts(status, "orders", "raw") == (sealed_count, 0, 1, 0)
    again = _rotation(rotation.reencrypt(file_app), "orders", "raw")
    assert (again.rotated, again.already_current, again.clear) == (0, sealed_count, 1)
    assert _raw_payloads(file_app) == after  # nothing rewritten the second time


def test_a_legacy_payload_under_the_newest_key_is_still_converted(app: App) -> None:
    ids = add_shop_and_orders(app)
    legacy_count = 2 if is_sqlite(app) else 1
    assert _counts(rotation.key_status(app), "orders", "raw") == (1, legacy_count, 1, 0)
    raw = _rotation(rotation.reencrypt(app), "orders", "raw")
    assert (raw.rotated, raw.already_current, raw.clear) == (legacy_count, 1, 1)
    assert _raw_payloads(app)[ids["legacy"]][:1] == b"s"
    assert _counts(rotation.key_status(app), "orders", "raw") == (1 + legacy_count, 0, 1, 0)


def test_a_payload_saved_meanwhile_is_not_overwritten(
    file_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guarded UPDATE holds for bytes, and for legacy TEXT values on SQLite."""
    ids = add_shop_and_orders(file_app)
    rotation.rotate_keys(file_app, reencrypt_now=False)
    saved: list[int] = []

    class SavedMeanwhile(codecs.PayloadCodec):
        def rotate(self, keyring: crypto.Keyring, stored: object) -> tuple[codecs.State, object]:
            if not saved:  # another process saves every order after this batch was read
                with file_app.tx() as session:
                    for order in session.query(Order):
                        order.raw = Payload({"edited": order.id})
                        saved.append(order.id)
            return super().rotate(keyring, stored)

    monkeypatch.setitem(codecs.CODECS, "payload", SavedMeanwhile())
    report = rotation.reencrypt(file_app)
    raw = _rotation(report, "orders", "raw")
    assert (raw.rotated, raw.skipped_changed, raw.clear) == (0, len(ids) - 1, 1)
    assert report.remaining == len(ids) - 1
    with file_app.tx() as session:
        assert {o.id: o.raw for o in session.query(Order)} == {i: {"edited": i} for i in saved}


def test_a_fernet_value_under_the_newest_key_counts_as_old(app: App, test_key: str) -> None:
    """Status agrees with reencrypt, which rewrites `fernet:` values in the AES-GCM form."""
    from cryptography.fernet import Fernet

    add_users(app, SECRETS[:1])
    old_form = "fernet:" + Fernet(test_key).encrypt(SECRETS[0].encode()).decode("ascii")
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE users SET totp_secret = :v"), {"v": old_form})
    assert _counts(rotation.key_status(app), "users", "totp_secret") == (0, 1, 0, 0)
    assert rotation.reencrypt(app).rotated == 1
    assert raw_secrets(app)["user0"].startswith("aead:")
    assert _counts(rotation.key_status(app), "users", "totp_secret") == (1, 0, 0, 0)


def _tamper_text(value: str) -> str:
    """One base64 character of the tag changed (the padding is at most two characters)."""
    return value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]


@pytest.mark.parametrize("damage", ["credentials", "sealed", "unknown", "legacy"])
def test_a_tampered_value_names_its_table_column_and_row(file_app: App, damage: str) -> None:
    ids = add_shop_and_orders(file_app)
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
            set_raw(file_app, row_id, stored[:-1] + bytes([stored[-1] ^ 1]))
        elif damage == "unknown":
            set_raw(file_app, row_id, b"x" + stored[1:])
        else:
            set_raw(file_app, row_id, _tamper_text(stored.decode("ascii")).encode("ascii"))
    assert _counts(rotation.key_status(file_app), *where)[3] == 1
    before = _raw_payloads(file_app), _raw_credentials(file_app)
    rotation.rotate_keys(file_app, reencrypt_now=False)
    expected = re.escape(f"{where[0]}.{where[1]} row id={row_id}: ")
    if damage == "unknown":
        expected += "stored payload is damaged: unknown format"
    with pytest.raises(ConfigurationError, match=expected):
        rotation.reencrypt(file_app)
    tampered_after = _raw_payloads(file_app)[row_id] if where[0] == "orders" else None
    if tampered_after is not None:
        assert tampered_after == before[0][row_id]
    else:
        assert _raw_credentials(file_app) == before[1]
