"""Declarative base and the column types every model shares."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import orjson
from sqlalchemy import DateTime, LargeBinary, MetaData, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from core import clock
from core.crypto import current_keyring
from core.errors import ConfigurationError

# Stable constraint names so Alembic migrations can address constraints on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; orderhub stores aware UTC only")
        return clock.as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else clock.as_utc(value)

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, the text SQLAlchemy's DATETIME writes (`2026-11-27 04:00:00.000000`,
        UTC wall time), made by `isoformat` in C: a sync writes six of them per order, and
        the generic formatter costs several microseconds each. tests/test_models_types.py
        checks both give the same text."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given; orderhub stores aware UTC only")
            if value.tzinfo is not UTC:
                value = value.astimezone(UTC)
            return value.isoformat(" ", "microseconds")[:26]  # without "+00:00"

        return process


class PlatformCiphertext(str):
    """A value the platform encrypted (Pinduoduo's `~…~` receiver fields): opaque to
    orderhub, decryptable only through the platform's API with the shop's token. Bound to
    an `EncryptedText` column it is stored as it is, behind `PLATFORM_PREFIX`, instead of
    being encrypted a second time; it reads back as the same text."""


PLATFORM_PREFIX = "platform:"


class EncryptedText(TypeDecorator[str]):
    """A string encrypted with the installed keyring; the database only ever sees ciphertext
    (ours, or the platform's own for a `PlatformCiphertext`)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if type(value) is PlatformCiphertext:
            return PLATFORM_PREFIX + value
        return current_keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if value.startswith(PLATFORM_PREFIX):
            return value[len(PLATFORM_PREFIX) :]
        return current_keyring().decrypt(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), str: String(255)}


class EncryptedJSON(TypeDecorator[object]):
    """JSON encrypted as a whole: raw platform payloads and import rows hold buyer data."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: object | None, dialect: Any) -> str | None:
        if value is None:
            return None
        # orjson: several times the standard library on a 2 KB order payload, same JSON.
        return current_keyring().encrypt(json_text(value))

    def process_result_value(self, value: str | None, dialect: Any) -> object | None:
        return None if value is None else json.loads(current_keyring().decrypt(value))


@dataclass(frozen=True)
class Payload:
    """A JSON payload to store in a `PayloadJSON` column, with what decides its protection:
    `personal` is False only when the payload holds no buyer personal data in clear."""

    data: Mapping[str, Any]
    personal: bool = True


CLEAR_TAG = b"j"  # JSON as it is: masked copies and platform ciphertext only
SEALED_TAG = b"s"  # the keyring's AES-GCM seal of the JSON


class PayloadJSON(TypeDecorator[object]):
    """Raw platform and import payloads: kilobytes per order, written 100,000 at a time.

    Stored as bytes: a tag, then the JSON in clear when the payload holds no personal data
    in clear (a Pinduoduo order carries only masked copies and the platform's own
    ciphertext, so a second encryption would protect nothing and cost a third of a sync),
    or sealed with the keyring when it may (import rows). Bind a `Payload` to choose; a
    bare mapping is treated as personal. Reads give the mapping back either way, and also
    read the text ciphertext of `EncryptedJSON`, which this column held before migration
    0005.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: object | None, dialect: Any) -> bytes | None:
        return encode_payload(value)

    def bind_processor(self, dialect: Any) -> Any:
        """Bytes go to the driver as they are (both drivers take `bytes`): without the
        impl's wrapping in a `memoryview`, prepared rows pickle to reader processes."""
        return encode_payload

    def process_result_value(self, value: object | None, dialect: Any) -> object | None:
        return decode_payload(value)


def json_text(value: object) -> str:
    """`value` as JSON text: what encrypted JSON columns store, and the engines' JSON
    serializer for plain JSON columns (orjson: several times `json.dumps`, same data)."""
    return orjson.dumps(value, default=_json_default, option=_ORJSON_OPTIONS).decode()


def encode_payload(value: object | None) -> bytes | None:
    if value is None:
        return None
    personal = True
    if isinstance(value, Payload):
        value, personal = value.data, value.personal
    data = orjson.dumps(value, default=_json_default, option=_ORJSON_OPTIONS)
    if not personal:
        return CLEAR_TAG + data
    return SEALED_TAG + current_keyring().seal(data)


def decode_payload(value: object | None) -> object | None:
    if value is None:
        return None
    if isinstance(value, str):  # a legacy text value SQLite kept as TEXT
        return json.loads(current_keyring().decrypt(value))
    blob = bytes(value)  # type: ignore[call-overload]
    tag = blob[:1]
    if tag == CLEAR_TAG:
        return orjson.loads(blob[1:])
    if tag == SEALED_TAG:
        return orjson.loads(current_keyring().unseal(blob[1:]))
    if blob.startswith((b"aead:", b"fernet:")):  # legacy text ciphertext, as bytes
        return json.loads(current_keyring().decrypt(blob.decode("ascii")))
    raise ConfigurationError(
        f"stored payload is damaged: unknown format (starts with {blob[:8]!r})"
    )


# Keys that are not strings become text, as with `json`; dates and times go through
# `_json_default` (their `str`), as they always did.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _json_default(value: object) -> object:
    """Read-only mappings (a frozen `PlatformOrder.raw`) as objects; anything else as text.
    Letting `json` meet them lazily saves copying every payload before it is encrypted."""
    if type(value) is MappingProxyType:
        return value.copy()  # the underlying dict, copied in C
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)
