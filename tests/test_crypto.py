"""Secrets at rest: the keyring, the key file, and what actually lands in the database."""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from core import crypto
from core.app import App
from core.backup.postgres import find_pg_tool, pg_conninfo
from core.errors import ConfigurationError
from core.models import Org, User

KEY_A = crypto.generate_key()
KEY_B = crypto.generate_key()


def test_round_trip_keeps_chinese_text() -> None:
    ring = crypto.Keyring([KEY_A])
    plain = "收件人：张三，浙江省杭州市西湖区文三路 100 号 🚚"
    ciphertext = ring.encrypt(plain)
    assert ciphertext.startswith("aead:")
    assert plain not in ciphertext and "张三" not in ciphertext
    assert ring.decrypt(ciphertext) == plain


def test_same_text_encrypts_differently_each_time() -> None:
    ring = crypto.Keyring([KEY_A])
    assert ring.encrypt("13800138000") != ring.encrypt("13800138000")


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_round_trip_of_any_text(plain: str) -> None:
    ring = crypto.Keyring([KEY_A])
    assert ring.decrypt(ring.encrypt(plain)) == plain


def test_tampered_ciphertext_is_refused_with_a_clear_error() -> None:
    ring = crypto.Keyring([KEY_A])
    ciphertext = ring.encrypt("secret")
    body = ciphertext[len("aead:") :]
    middle = len(body) // 2
    flipped = "A" if body[middle] != "A" else "B"
    tampered = "aead:" + body[:middle] + flipped + body[middle + 1 :]
    with pytest.raises(ConfigurationError, match="altered"):
        ring.decrypt(tampered)


@pytest.mark.parametrize(
    "bad", ["plain text", "fernet:非ASCII", "fernet:", "aead:", "aead:非ASCII", "aead:!!!!"]
)
def test_values_that_are_not_ciphertext_are_refused(bad: str) -> None:
    ring = crypto.Keyring([KEY_A])
    with pytest.raises(ConfigurationError):
        ring.decrypt(bad)


def _fernet_value(key: str, plain: str) -> str:
    """A value as orderhub wrote it before the AEAD form (a Fernet token)."""
    return "fernet:" + Fernet(key.encode()).encrypt(plain.encode()).decode()


def test_values_written_by_earlier_versions_still_decrypt_and_rotate_to_the_new_form() -> None:
    ring = crypto.Keyring([KEY_B, KEY_A])
    legacy = _fernet_value(KEY_A, "张三 13800138000")
    assert ring.decrypt(legacy) == "张三 13800138000"
    assert ring.key_index(legacy) == 1 and not ring.is_current(legacy)
    current_key_legacy = _fernet_value(KEY_B, "x")
    assert ring.key_index(current_key_legacy) == 0
    assert not ring.is_current(current_key_legacy)  # the old form is rewritten too
    rotated = ring.rotate(legacy)
    assert rotated.startswith("aead:") and ring.is_current(rotated)
    assert ring.decrypt(rotated) == "张三 13800138000"


def test_sealed_bytes_round_trip_pick_their_key_and_refuse_tampering() -> None:
    old, new = crypto.Keyring([KEY_A]), crypto.Keyring([KEY_B, KEY_A])
    sealed = old.seal(b'{"name": "\xe5\xbc\xa0"}')
    assert new.unseal(sealed) == b'{"name": "\xe5\xbc\xa0"}'
    assert new.sealed_key_index(sealed) == 1
    resealed = new.reseal(sealed)
    assert new.sealed_key_index(resealed) == 0 and new.unseal(resealed) == old.unseal(sealed)
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(ConfigurationError, match="altered"):
        new.unseal(bytes(tampered))
    assert new.sealed_key_index(bytes(tampered)) is None
    with pytest.raises(ConfigurationError, match="damaged"):
        new.unseal(b"\x02" + sealed[1:])
    with pytest.raises(ConfigurationError, match="fits"):
        crypto.Keyring([crypto.generate_key()]).unseal(sealed)


def test_wrong_key_is_a_configuration_error_that_mentions_the_key() -> None:
    ciphertext = crypto.Keyring([KEY_A]).encrypt("secret")
    with pytest.raises(ConfigurationError, match="key"):
        crypto.Keyring([KEY_B]).decrypt(ciphertext)


@pytest.mark.parametrize("bad_key", ["", "not-a-key", "c2hvcnQ="])
def test_invalid_keys_are_refused(bad_key: str) -> None:
    with pytest.raises(ConfigurationError):
        crypto.Keyring([bad_key] if bad_key else [])


def test_rotation_moves_ciphertext_to_the_new_key() -> None:
    old_ring = crypto.Keyring([KEY_A])
    stored = old_ring.encrypt("TOTP种子")
    ring = crypto.Keyring([KEY_B, KEY_A])  # B added in front: A's ciphertext still reads
    assert ring.decrypt(stored) == "TOTP种子"
    assert not ring.is_current(stored)
    assert ring.key_index(stored) == 1
    rotated = ring.rotate(stored)
    assert rotated != stored
    assert ring.is_current(rotated)
    assert crypto.Keyring([KEY_B]).decrypt(rotated) == "TOTP种子"
    with pytest.raises(ConfigurationError):
        crypto.Keyring([KEY_A]).decrypt(rotated)


def test_rotating_a_value_no_key_fits_is_a_clear_error() -> None:
    foreign = crypto.Keyring([KEY_B]).encrypt("x")
    with pytest.raises(ConfigurationError, match="re-encrypt"):
        crypto.Keyring([KEY_A]).rotate(foreign)
    assert crypto.Keyring([KEY_A]).key_index(foreign) is None


def test_keyed_hash_survives_adding_a_key() -> None:
    before = crypto.Keyring([KEY_A]).keyed_hash("13800138000", "phone")
    after = crypto.Keyring([KEY_B, KEY_A]).keyed_hash("13800138000", "phone")
    assert before == after
    assert before != crypto.Keyring([KEY_A]).keyed_hash("13800138001", "phone")


def test_mac_keys_are_per_purpose_sub_keys_that_survive_a_rotation() -> None:
    old = crypto.generate_key()
    ring = crypto.Keyring([old])
    key = ring.mac_key("backup")
    assert key is not None and len(key) == 32
    raw = base64.urlsafe_b64decode(old)
    assert raw[:16] not in key and raw[16:] not in key  # a derived key, not the raw one
    assert ring.mac_key("backup") == key
    assert ring.mac_key("other") != key
    rotated = crypto.Keyring([crypto.generate_key(), old])
    assert rotated.mac_key("backup") != key  # the newest key signs new MACs
    assert rotated.mac_key("backup", crypto.fingerprint(old)) == key  # old MACs still check
    assert crypto.Keyring([crypto.generate_key()]).mac_key("backup", ring.fingerprints[0]) is None


def test_fingerprints_identify_keys_without_revealing_them() -> None:
    ring = crypto.Keyring([KEY_B, KEY_A])
    assert ring.fingerprints == [crypto.fingerprint(KEY_B), crypto.fingerprint(KEY_A)]
    assert all(len(f) == 12 and f not in KEY_A + KEY_B for f in ring.fingerprints)


def test_key_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "secret.keys"
    assert crypto.create_key_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.create_key_file(path) is False  # never replaced: that would lose data
    ring = crypto.keyring_from("", path)
    assert len(ring.keys) == 1
    assert ring.decrypt(ring.encrypt("x")) == "x"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "secret.keys"
    crypto.create_key_file(path)
    os.chmod(path, mode)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        crypto.keyring_from("", path)


def test_missing_key_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="orderhub init"):
        crypto.keyring_from("", tmp_path / "missing.keys")


def test_write_key_file_replaces_a_loose_leftover_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.keys"
    leftover = tmp_path / "secret.keys.tmp"
    leftover.write_text("junk")
    os.chmod(leftover, 0o666)
    crypto.write_key_file(path, [KEY_B, KEY_A])
    assert not leftover.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.read_key_file(path) == [KEY_B, KEY_A]


def test_write_key_file_refuses_invalid_keys(tmp_path: Path) -> None:
    path = tmp_path / "secret.keys"
    with pytest.raises(ConfigurationError):
        crypto.write_key_file(path, ["nonsense"])
    assert not path.exists()


def test_environment_keys_win_over_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.keys"
    crypto.write_key_file(path, [KEY_A])
    ring = crypto.keyring_from(f" {KEY_B} , {KEY_A} ", path)
    assert ring.keys == [KEY_B, KEY_A]


# --- what a stolen database dump reveals -------------------------------------------------

MARKER = "MARKER-totp-明文-7f3a9c"


def test_database_dump_contains_ciphertext_only(app: App, tmp_path: Path) -> None:
    with app.tx() as session:
        org = Org(name="dump-test")
        session.add(org)
        session.flush()
        session.add(User(org_id=org.id, username="dumped", password_hash="x", totp_secret=MARKER))
    with app.tx() as session:  # the ORM still reads it in clear
        assert session.query(User).filter_by(username="dumped").one().totp_secret == MARKER

    if app.engine.dialect.name == "sqlite":
        db_file = Path(app.engine.url.database or "")
        with sqlite3.connect(db_file) as conn:
            dump = "\n".join(conn.iterdump())
        raw = b"".join(p.read_bytes() for p in (db_file, Path(f"{db_file}-wal")) if p.exists())
        assert MARKER.encode("utf-8") not in raw
        assert b"aead:" in raw
    else:
        conninfo, env = pg_conninfo(app.engine.url.render_as_string(hide_password=False))
        dump = subprocess.run(
            [find_pg_tool("pg_dump"), "--format=plain", "--no-password", f"--dbname={conninfo}"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    assert "dumped" in dump  # the dump is real and has our row
    assert MARKER not in dump
    assert "明文" not in dump
    assert "aead:" in dump
    with app.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT totp_secret FROM users WHERE username = 'dumped'")
        ).scalar_one()
    assert stored.startswith("aead:")
    assert app.keyring.decrypt(stored) == MARKER
