"""Declarative base and the column types every model shares."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, MetaData, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from core import clock
from core.crypto import current_keyring

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


class EncryptedText(TypeDecorator[str]):
    """A string encrypted with the installed keyring; the database only ever sees ciphertext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else current_keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else current_keyring().decrypt(value)


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
        text = orjson.dumps(value, default=_json_default, option=_ORJSON_OPTIONS).decode()
        return current_keyring().encrypt(text)

    def process_result_value(self, value: str | None, dialect: Any) -> object | None:
        return None if value is None else json.loads(current_keyring().decrypt(value))


# Keys that are not strings become text, as with `json`; dates and times go through
# `_json_default` (their `str`), as they always did.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _json_default(value: object) -> object:
    """Read-only mappings (a frozen `PlatformOrder.raw`) as objects; anything else as text.
    Letting `json` meet them lazily saves copying every payload before it is encrypted."""
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)
