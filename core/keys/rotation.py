"""Key rotation: add a new encryption key, then move every stored secret onto it.

Two phases, because several processes (API, workers) may hold the old keyring:

1. `rotate_keys` puts a fresh key in front of the key file (old keys stay, so every existing
   ciphertext keeps decrypting). With keys in `ORDERHUB_SECRET_KEY` we cannot edit the
   environment of running processes, so the user does that step and restarts.
2. `reencrypt` rewrites each stored secret that is not yet under the newest key: every
   `EncryptedText`, `EncryptedJSON` (shop and carrier credentials, print data) and
   `PayloadJSON` column (`orders.raw`; clear payloads have no key and are left alone, text
   ciphertext from before migration 0005 is converted to the sealed form). Columns are
   discovered by type on `core.models.Base.metadata`, so tables added later are covered
   without touching this module; `core.keys.codecs` knows each type's stored form. Stored
   values are read and written with Core SQL (bypassing the column type, which would
   decrypt/encrypt), in small committed batches, and each UPDATE is guarded by the old
   value, so a row changed meanwhile is left alone rather than overwritten; running it
   again picks up whatever is left. It is idempotent.

Old keys are never dropped automatically: `Keyring.keyed_hash` derives search hashes from
the oldest key, and an old process may still write with it until restarted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core import crypto
from core.errors import ConfigurationError
from core.keys.codecs import CODECS, Codec, State, codec_kind
from core.models import Base

if TYPE_CHECKING:
    from core.app import App

log = logging.getLogger("orderhub.keys")

BATCH_SIZE = 500


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted column, the primary key that addresses its rows, and its stored form
    (`kind`: a `core.keys.codecs.CODECS` key)."""

    table: str
    column: str
    primary_key: tuple[str, ...]
    kind: str = "text"

    @property
    def codec(self) -> Codec:
        return CODECS[self.kind]


@dataclass
class ColumnRotation:
    """What re-encryption did to one column. `skipped_changed`: rows edited meanwhile;
    `clear`: payloads stored without encryption (no key to move them to)."""

    table: str
    column: str
    scanned: int = 0
    rotated: int = 0
    already_current: int = 0
    skipped_changed: int = 0
    clear: int = 0


@dataclass
class RotationReport:
    """The outcome of `rotate_keys` / `reencrypt`; `new_key` is the fingerprint, never the key."""

    key_count: int
    new_key: str | None
    columns: list[ColumnRotation] = field(default_factory=list)

    @property
    def rotated(self) -> int:
        return sum(c.rotated for c in self.columns)

    @property
    def remaining(self) -> int:
        """Rows still under an old key (edited concurrently); run `reencrypt` again."""
        return sum(c.skipped_changed for c in self.columns)


@dataclass
class ColumnKeyStatus:
    """Rows of one column by key age. `unreadable`: no configured key fits (lost key!);
    `clear`: payloads stored without encryption, which no key protects."""

    table: str
    column: str
    current: int = 0
    old: int = 0
    unreadable: int = 0
    clear: int = 0


@dataclass
class KeyStatus:
    key_count: int
    source: str  # "environment" or the key file path
    fingerprints: list[str]
    columns: list[ColumnKeyStatus] = field(default_factory=list)

    @property
    def old(self) -> int:
        return sum(c.old for c in self.columns)

    @property
    def unreadable(self) -> int:
        return sum(c.unreadable for c in self.columns)


def encrypted_columns(metadata: sa.MetaData | None = None) -> list[EncryptedColumn]:
    """Every encrypted column of every table, found by type (future tables included)."""
    metadata = metadata if metadata is not None else Base.metadata
    found: list[EncryptedColumn] = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            kind = codec_kind(column.type)
            if kind is None:
                continue
            pk = tuple(c.name for c in table.primary_key.columns)
            if not pk:
                raise ConfigurationError(
                    f"{table.name}.{column.name} is encrypted but {table.name} has no primary "
                    "key, so its rows cannot be re-encrypted one by one"
                )
            found.append(EncryptedColumn(table.name, column.name, pk, kind))
    return found


def rotate_keys(app: App, *, reencrypt_now: bool = True) -> RotationReport:
    """Put a new key first in the key file, install it, and (by default) re-encrypt.

    With `reencrypt_now=False` only the key is added: restart the other orderhub processes
    so they load it, then run `reencrypt` (`orderhub keys reencrypt`). Re-encrypting while
    another process still has only the old keys makes those rows unreadable *to that process*.
    """
    settings = app.settings
    if settings.secret_key:
        raise ConfigurationError(
            "encryption keys come from ORDERHUB_SECRET_KEY, which orderhub cannot edit: "
            "generate a key (`orderhub keys generate`), put it first in ORDERHUB_SECRET_KEY "
            "(comma-separated, newest first, keep the old keys after it), restart every "
            "orderhub process, then run `orderhub keys reencrypt`"
        )
    key_file = settings.effective_key_file
    old = crypto.keyring_from("", key_file)  # re-read: the file is the truth, mode checked
    new_key = crypto.generate_key()
    keys = [new_key, *[k for k in old.keys if k != new_key]]
    crypto.write_key_file(key_file, keys)
    keyring = crypto.Keyring(keys)
    crypto.install_keyring(keyring)
    app.keyring = keyring
    log.info("added encryption key %s to %s", crypto.fingerprint(new_key), key_file)
    report = RotationReport(key_count=len(keys), new_key=crypto.fingerprint(new_key))
    if reencrypt_now:
        report.columns = _reencrypt_all(app.engine, keyring)
    return report


def reencrypt(app: App, *, batch_size: int = BATCH_SIZE) -> RotationReport:
    """Move every stored secret onto the newest key of `app.keyring`; safe to run repeatedly."""
    keyring = app.keyring
    return RotationReport(
        key_count=len(keyring.keys),
        new_key=None,
        columns=_reencrypt_all(app.engine, keyring, batch_size),
    )


def key_status(app: App) -> KeyStatus:
    """How many keys there are and which rows still need `reencrypt` (or a lost key)."""
    keyring = app.keyring
    settings = app.settings
    status = KeyStatus(
        key_count=len(keyring.keys),
        source="environment" if settings.secret_key else str(settings.effective_key_file),
        fingerprints=keyring.fingerprints,
    )
    for target in encrypted_columns():
        counts = ColumnKeyStatus(target.table, target.column)
        for rows in _batches(app.engine, target, BATCH_SIZE):
            for row in rows:
                state = target.codec.state(keyring, row[-1])  # values name the counters
                setattr(counts, state.value, getattr(counts, state.value) + 1)
        status.columns.append(counts)
    return status


def _reencrypt_all(
    engine: sa.Engine, keyring: crypto.Keyring, batch_size: int = BATCH_SIZE
) -> list[ColumnRotation]:
    return [_reencrypt_column(engine, keyring, c, batch_size) for c in encrypted_columns()]


def _reencrypt_column(
    engine: sa.Engine, keyring: crypto.Keyring, target: EncryptedColumn, batch_size: int
) -> ColumnRotation:
    result = ColumnRotation(target.table, target.column)
    codec = target.codec
    raw = _raw_table(target)
    statements: dict[type, sa.Update] = {}  # one guarded UPDATE per bind type
    for rows in _batches(engine, target, batch_size):
        updates: list[dict[str, Any]] = []
        for row in rows:
            result.scanned += 1
            old_value = row[-1]
            try:
                state, new_value = codec.rotate(keyring, old_value)
            except ConfigurationError as exc:
                raise ConfigurationError(
                    f"{target.table}.{target.column} row {_pk_text(target, row)}: {exc}"
                ) from exc
            if state is State.CLEAR:
                result.clear += 1
                continue
            if new_value is None:
                result.already_current += 1
                continue
            params = {f"pk_{name}": row[i] for i, name in enumerate(target.primary_key)}
            updates.append({**params, "old": old_value, "new": new_value})
        if not updates:
            continue
        with engine.begin() as conn:  # one transaction per batch: short locks, resumable
            for params in updates:
                old_type = codec.bind_type(params["old"])
                if type(old_type) not in statements:
                    statements[type(old_type)] = _guarded_update(raw, target, old_type)
                changed = conn.execute(statements[type(old_type)], params).rowcount
                if changed == 1:
                    result.rotated += 1
                else:
                    result.skipped_changed += 1
    log.info(
        "re-encrypted %s.%s: %d rotated, %d already current, %d clear, %d changed meanwhile",
        target.table,
        target.column,
        result.rotated,
        result.already_current,
        result.clear,
        result.skipped_changed,
    )
    return result


def _guarded_update(
    raw: sa.TableClause, target: EncryptedColumn, old_type: sa.types.TypeEngine[Any]
) -> sa.Update:
    """UPDATE one row's value only if it still holds the value we read. The old value is
    bound with the type it was read as: a legacy payload may be TEXT on SQLite, and TEXT
    never equals the BLOB the column's own type would send."""
    return (
        sa.update(raw)
        .where(*[raw.c[name] == sa.bindparam(f"pk_{name}") for name in target.primary_key])
        .where(raw.c[target.column] == sa.bindparam("old", type_=old_type))
        .values({target.column: sa.bindparam("new")})
    )


def _raw_table(target: EncryptedColumn) -> sa.TableClause:
    """A lightweight table whose encrypted column has a plain type (Text, or LargeBinary for
    payloads): no decrypt on read or encrypt on write, so values move exactly as stored."""
    columns = [sa.column(name) for name in target.primary_key]
    return sa.table(target.table, *columns, sa.column(target.column, target.codec.stored_type()))


def _batches(
    engine: sa.Engine, target: EncryptedColumn, batch_size: int
) -> Iterator[list[sa.Row[Any]]]:
    """Non-NULL values in primary-key order, `batch_size` at a time (keyset pagination)."""
    raw = _raw_table(target)
    pk_cols = [raw.c[name] for name in target.primary_key]
    value = raw.c[target.column]
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*pk_cols, value).where(value.is_not(None))
        if last is not None:
            query = query.where(_after(pk_cols, last))
        query = query.order_by(*pk_cols).limit(batch_size)
        with engine.connect() as conn:
            rows = list(conn.execute(query))
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][: len(pk_cols)])


def _after(pk_cols: list[sa.ColumnClause[Any]], last: tuple[Any, ...]) -> sa.ColumnElement[bool]:
    """Rows strictly after `last` in primary-key order, spelled without row values so it
    works the same on every SQLite version and PostgreSQL."""
    clauses = []
    for i, col in enumerate(pk_cols):
        equal = [pk_cols[j] == last[j] for j in range(i)]
        clauses.append(sa.and_(*equal, col > last[i]))
    return sa.or_(*clauses)


def _pk_text(target: EncryptedColumn, row: sa.Row[Any]) -> str:
    return ", ".join(f"{name}={row[i]!r}" for i, name in enumerate(target.primary_key))
