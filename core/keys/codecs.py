"""How each encrypted column type stores a value, and how one value moves to the newest key.

`core.keys.rotation` finds columns by type and rewrites stored values with Core SQL, never through
the column types (they would decrypt on read and encrypt on write). So it needs, per type,
what the stored value looks like; that knowledge lives here, one codec per storage form:

- `text`: `EncryptedText` and `EncryptedJSON` — text ciphertext (`aead:`, or the older
  `fernet:`), rotated with `Keyring.rotate`; or the platform's own ciphertext behind
  `platform:` (no key of ours protects it: nothing to rotate).
- `payload`: `PayloadJSON` — bytes: `CLEAR_TAG` + JSON (no key protects it: nothing to
  rotate), `SEALED_TAG` + `Keyring.seal` bytes (rotated with `reseal`), or the text
  ciphertext of `EncryptedJSON` that the column held before migration 0005 (a str on
  SQLite, bytes on PostgreSQL); that legacy form is converted to the sealed form, so it
  counts as old whatever key it is under.

A codec never lets an unreadable value through: `rotate` raises `ConfigurationError`, and
`state` reports it as unreadable (status must not stop at the first lost value).
"""

from __future__ import annotations

import enum
import json
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from core import crypto
from core.errors import ConfigurationError
from core.models.base import (
    CLEAR_TAG,
    PLATFORM_PREFIX,
    SEALED_TAG,
    EncryptedJSON,
    EncryptedText,
    PayloadJSON,
)

_LEGACY_PREFIXES = (b"aead:", b"fernet:")  # text ciphertext written before migration 0005


class State(enum.Enum):
    """Where a stored value stands: `clear` values are protected by no key at all."""

    CURRENT = "current"
    OLD = "old"
    CLEAR = "clear"
    UNREADABLE = "unreadable"


class Codec(Protocol):
    """One storage form of encrypted values."""

    kind: str

    def stored_type(self) -> sa.types.TypeEngine[Any]:
        """The plain type that reads and writes the stored value exactly as it is."""

    def bind_type(self, stored: object) -> sa.types.TypeEngine[Any]:
        """The type to bind `stored` with when comparing it to the column (the guard)."""

    def state(self, keyring: crypto.Keyring, stored: object) -> State:
        """Which key (if any) the value is under; never raises."""

    def rotate(self, keyring: crypto.Keyring, stored: object) -> tuple[State, object | None]:
        """(OLD, the value to store instead), or (CURRENT or CLEAR, None) when there is
        nothing to do; `ConfigurationError` when no key reads it or it is damaged."""


class TextCodec:
    """`EncryptedText` / `EncryptedJSON`: one text ciphertext per value."""

    kind = "text"

    def stored_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Text()

    def bind_type(self, stored: object) -> sa.types.TypeEngine[Any]:
        return sa.Text()

    def state(self, keyring: crypto.Keyring, stored: object) -> State:
        if isinstance(stored, str) and stored.startswith(PLATFORM_PREFIX):
            return State.CLEAR
        return _text_state(keyring, stored, legacy=False)

    def rotate(self, keyring: crypto.Keyring, stored: object) -> tuple[State, object | None]:
        text = _as_text(stored)
        if text.startswith(PLATFORM_PREFIX):
            return State.CLEAR, None
        if keyring.is_current(text):
            return State.CURRENT, None
        return State.OLD, keyring.rotate(text)


class PayloadCodec:
    """`PayloadJSON`: tagged bytes, or legacy text ciphertext still to convert."""

    kind = "payload"

    def stored_type(self) -> sa.types.TypeEngine[Any]:
        return sa.LargeBinary()

    def bind_type(self, stored: object) -> sa.types.TypeEngine[Any]:
        # SQLite may keep a legacy value as TEXT, and TEXT never equals a BLOB there.
        return sa.Text() if isinstance(stored, str) else sa.LargeBinary()

    def state(self, keyring: crypto.Keyring, stored: object) -> State:
        if isinstance(stored, str):
            return _text_state(keyring, stored, legacy=True)
        blob = bytes(stored)  # type: ignore[call-overload]
        tag, rest = blob[:1], blob[1:]
        if tag == CLEAR_TAG:
            return State.CLEAR
        if tag == SEALED_TAG:
            try:
                index = keyring.sealed_key_index(rest)
            except ConfigurationError:  # damaged: as unreadable as a lost key
                return State.UNREADABLE
            return _by_index(index)
        if blob.startswith(_LEGACY_PREFIXES):
            try:
                text = _ascii(blob)
            except ConfigurationError:
                return State.UNREADABLE
            return _text_state(keyring, text, legacy=True)
        return State.UNREADABLE

    def rotate(self, keyring: crypto.Keyring, stored: object) -> tuple[State, object | None]:
        if isinstance(stored, str):
            return State.OLD, _convert_legacy(keyring, stored)
        blob = bytes(stored)  # type: ignore[call-overload]
        tag, rest = blob[:1], blob[1:]
        if tag == CLEAR_TAG:
            return State.CLEAR, None
        if tag == SEALED_TAG:
            if keyring.sealed_key_index(rest) == 0:
                return State.CURRENT, None
            return State.OLD, SEALED_TAG + keyring.reseal(rest)
        if blob.startswith(_LEGACY_PREFIXES):
            return State.OLD, _convert_legacy(keyring, _ascii(blob))
        raise ConfigurationError(
            f"stored payload is damaged: unknown format (starts with {blob[:8]!r})"
        )


CODECS: dict[str, Codec] = {codec.kind: codec for codec in (TextCodec(), PayloadCodec())}


def codec_kind(column_type: sa.types.TypeEngine[Any]) -> str | None:
    """The codec kind for a column type, or None when the column holds no secret."""
    if isinstance(column_type, EncryptedText | EncryptedJSON):
        return TextCodec.kind
    if isinstance(column_type, PayloadJSON):
        return PayloadCodec.kind
    return None


def _text_state(keyring: crypto.Keyring, stored: object, *, legacy: bool) -> State:
    """A text ciphertext's state. `fernet:` values and legacy payloads are old even under
    the newest key: `rotate` rewrites them (status must agree with what rotation does)."""
    try:
        text = _as_text(stored)
        if not legacy and keyring.is_current(text):
            return State.CURRENT
        index = keyring.key_index(text)
    except ConfigurationError:  # not a ciphertext at all, or damaged
        return State.UNREADABLE
    return State.UNREADABLE if index is None else State.OLD


def _by_index(index: int | None) -> State:
    if index is None:
        return State.UNREADABLE
    return State.CURRENT if index == 0 else State.OLD


def _convert_legacy(keyring: crypto.Keyring, text: str) -> bytes:
    """A legacy payload's JSON sealed under the newest key, byte for byte the same JSON.

    The sealed form is read with orjson, the legacy one with `json`; they disagree on NaN
    and on integers beyond 64 bits, so a payload that would read back differently is
    refused rather than silently changed.
    """
    plaintext = keyring.decrypt(text)
    data = plaintext.encode("utf-8")
    try:
        same = orjson.loads(data) == json.loads(plaintext)
    except ValueError as exc:  # orjson's and json's decode errors are ValueErrors
        raise ConfigurationError(f"stored payload is not valid JSON: {exc}") from exc
    if not same:
        raise ConfigurationError(
            "stored payload would not read back the same once sealed (it holds NaN or an "
            "integer beyond 64 bits); it was left in its old form"
        )
    return SEALED_TAG + keyring.seal(data)


def _as_text(stored: object) -> str:
    if isinstance(stored, str):
        return stored
    raise ConfigurationError(
        f"value is not an orderhub ciphertext (expected text, found {type(stored).__name__})"
    )


def _ascii(blob: bytes) -> str:
    try:
        return blob.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ConfigurationError("stored secret is damaged: not ASCII ciphertext") from exc
