"""Online backup and restore of the whole database, with a manifest that proves the copy.

A backup is one file plus a sidecar `PATH.manifest.json`: format version, backend, Alembic
revision, UTC creation time, row count per table *as of the snapshot* (counted inside the
same snapshot the copy was taken from, so restore can check every table), the SHA-256 of the
file, an HMAC-SHA256 of the file and the fingerprints (never the keys) of the encryption keys
in use. Backup and manifest are created 0600 (they hold password and token hashes).

The SHA-256 finds damage; the HMAC finds tampering: anyone can recompute a plain hash after
changing the file, but the HMAC needs a sub-key derived from the installation's newest
encryption key (`Keyring.mac_key`), named in the manifest by its fingerprint so a backup
made before a key rotation still checks. Restore verifies it before writing anything and
refuses a backup whose key is not configured here (its encrypted columns could not be read
either). A manifest without an HMAC (orderhub wrote none before) still restores, with a
warning that only its SHA-256 was checked.

- SQLite: the `sqlite3` online backup API, copying a few pages per step so writers are not
  held up; see `core.backup.sqlite`.
- PostgreSQL: `pg_dump --format=custom` from an exported snapshot; see `core.backup.postgres`.

Restore goes only into an empty database (no silent overwrite), same backend only, and
verifies the checksum before writing anything. The backup does not contain the key file:
without the keys, encrypted columns (TOTP seeds, platform tokens, buyer data) are lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from core import clock, crypto
from core.backup import postgres as backup_pg
from core.backup import sqlite as backup_sqlite
from core.backup.files import write_private_atomic
from core.config import Settings
from core.db import create_db_engine, shown_url
from core.errors import ConfigurationError, Conflict, NotSupported, ValidationError
from core.waybills import request_epoch

if TYPE_CHECKING:
    from core.app import App

log = logging.getLogger("orderhub.backup")

MANIFEST_FORMAT = 1
MAC_PURPOSE = "backup"  # the HKDF purpose of the backup HMAC key (`Keyring.mac_key`)


@dataclass
class BackupReport:
    path: Path
    manifest_path: Path
    backend: str
    alembic_revision: str | None
    created_at: datetime
    sha256: str
    size_bytes: int
    tables: dict[str, int]
    method: str  # how the copy was taken: sqlite "paged" / "single-step", or "pg_dump"
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "manifest": str(self.manifest_path),
            "backend": self.backend,
            "alembic_revision": self.alembic_revision,
            "created_at": self.created_at.isoformat(),
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "method": self.method,
            "tables": self.tables,
            "warnings": self.warnings,
        }


@dataclass
class TableCheck:
    table: str
    expected: int
    restored: int | None  # None: the table is missing after restore

    @property
    def ok(self) -> bool:
        return self.expected == self.restored


@dataclass
class RestoreReport:
    path: Path
    backend: str
    sha256: str
    expected_revision: str | None
    restored_revision: str | None
    tables: list[TableCheck] = field(default_factory=list)
    # Fingerprints of keys in use at backup time that the restoring side does not have
    # (None: no keys configured here, so it could not be checked).
    missing_keys: list[str] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.expected_revision == self.restored_revision and all(t.ok for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "backend": self.backend,
            "sha256": self.sha256,
            "ok": self.ok,
            "expected_revision": self.expected_revision,
            "restored_revision": self.restored_revision,
            "missing_keys": self.missing_keys,
            "warnings": self.warnings,
            "tables": [
                {"table": t.table, "expected": t.expected, "restored": t.restored, "ok": t.ok}
                for t in self.tables
            ],
        }


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def backup(source: App | Settings, path: Path | str, *, overwrite: bool = False) -> BackupReport:
    """Copy the live database to `path` (and its manifest) while the app keeps running."""
    path = Path(path)
    target_manifest = manifest_path(path)
    if not overwrite:
        for existing in (path, target_manifest):
            if existing.exists():
                raise Conflict(f"{existing} already exists; choose another path or overwrite")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    engine, owned = _engine_of(source)
    try:
        backend = engine.dialect.name
        if backend == "sqlite":
            snap = backup_sqlite.backup(_sqlite_file(engine), tmp)
        elif backend == "postgresql":
            snap = backup_pg.backup(engine, tmp)
        else:  # create_db_engine refuses others; kept for a clear message
            raise NotSupported(f"backup of {backend} databases is not supported")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if owned:
            engine.dispose()
    keyring = _keyring_of(source)
    warnings: list[str] = []
    mac: dict[str, str] | None = None
    if keyring is None:
        warnings.append(
            "no encryption key could be loaded, so the backup has no HMAC: a restore can only "
            "check its SHA-256, which does not show whether someone changed it"
        )
        digest, _ = _digests(tmp, None)
    else:
        digest, mac_value = _digests(tmp, keyring.mac_key(MAC_PURPOSE))
        mac = {"key_fingerprint": keyring.fingerprints[0], "value": mac_value or ""}
    os.replace(tmp, path)
    created = clock.now()
    manifest = {
        "format": MANIFEST_FORMAT,
        "backend": backend,
        "file": path.name,
        "alembic_revision": snap.alembic_revision,
        "created_at": created.isoformat(),
        "server_version": snap.server_version,
        "tables": snap.tables,
        "sha256": digest,
        "key_fingerprints": keyring.fingerprints if keyring else None,
    }
    if mac is not None:
        manifest["hmac"] = {"algorithm": "HMAC-SHA256", **mac}
    write_private_atomic(target_manifest, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return BackupReport(
        path=path,
        manifest_path=target_manifest,
        backend=backend,
        alembic_revision=snap.alembic_revision,
        created_at=created,
        sha256=digest,
        size_bytes=path.stat().st_size,
        tables=snap.tables,
        method=snap.method,
        warnings=warnings,
    )


def read_manifest(path: Path | str) -> dict[str, Any]:
    """The manifest of backup `path`, checked for shape (not yet for the checksum)."""
    path = Path(path)
    where = manifest_path(path)
    if not path.exists():
        raise ValidationError(f"backup file {path} does not exist", field="path")
    if not where.exists():
        raise ValidationError(
            f"backup manifest {where} is missing: a backup is the file plus its manifest",
            field="path",
        )
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"backup manifest {where} is not valid JSON: {exc}") from exc
    required = {"format", "backend", "alembic_revision", "tables", "sha256"}
    if not isinstance(manifest, dict) or not required <= set(manifest):
        raise ValidationError(f"backup manifest {where} lacks {sorted(required)}")
    if manifest["format"] != MANIFEST_FORMAT:
        raise NotSupported(
            f"backup manifest {where} has format {manifest['format']}; this orderhub reads "
            f"format {MANIFEST_FORMAT}"
        )
    return manifest


def verify_backup(path: Path | str, target: App | Settings) -> tuple[dict[str, Any], list[str]]:
    """The manifest and warnings, after checking the file's SHA-256 and HMAC against it.

    The HMAC is checked with the keys of `target` (the installation restoring). A manifest
    without an HMAC passes on its SHA-256 alone, with a warning saying so.
    """
    path = Path(path)
    manifest = read_manifest(path)
    mac = manifest.get("hmac")
    if mac is None:
        actual, _ = _digests(path, None)
    else:
        if not (
            isinstance(mac, dict)
            and isinstance(mac.get("key_fingerprint"), str)
            and isinstance(mac.get("value"), str)
        ):
            raise ValidationError(
                f"backup manifest {manifest_path(path)} has a malformed hmac entry; nothing "
                "was restored",
                field="path",
            )
        actual, actual_mac = _digests(path, _mac_key(target, path, mac["key_fingerprint"]))
    if actual != manifest["sha256"]:
        raise ValidationError(
            f"backup file {path} is damaged: its SHA-256 is {actual}, the manifest says "
            f"{manifest['sha256']}; nothing was restored",
            field="path",
        )
    if mac is None:
        return manifest, [
            f"backup {path} has no HMAC (made by an orderhub before backups were signed, or "
            "without encryption keys): only its SHA-256 was checked, which shows damage but "
            "not whether someone changed the file and its manifest"
        ]
    if not hmac.compare_digest(actual_mac or "", mac["value"]):
        raise ValidationError(
            f"backup file {path} failed its HMAC check: it was changed after the backup was "
            "made (its manifest's SHA-256 was rewritten to match), or the manifest belongs to "
            "another backup; nothing was restored",
            field="path",
        )
    return manifest, []


def restore(target: App | Settings, path: Path | str) -> RestoreReport:
    """Restore backup `path` into the *empty* database of `target`, then check row counts.

    Opens the target's engine straight from settings: the target has no schema yet, so the
    app (plugins, services) cannot be opened on it.
    """
    path = Path(path)
    manifest, warnings = verify_backup(path, target)
    for warning in warnings:
        log.warning("%s", warning)
    engine, owned = _engine_of(target)
    try:
        backend = engine.dialect.name
        if manifest["backend"] != backend:
            raise NotSupported(
                f"backup {path} is a {manifest['backend']} backup and the target database is "
                f"{backend}: restore into the same kind of database (a {manifest['backend']} "
                "backup restores only into "
                f"{manifest['backend']})"
            )
        _refuse_non_empty(engine)
        if backend == "sqlite":
            engine.dispose()  # no pooled connection may hold the file while we write it
            backup_sqlite.restore(path, _sqlite_file(engine))
        else:
            backup_pg.restore(engine, path)
        engine.dispose()  # restored schema and sequences: start from fresh connections
        # Package ids handed out after this backup was taken will be handed out again:
        # carrier request ids must not repeat theirs (core.waybills.request_epoch).
        request_epoch.renew(engine)
        counts, revision = backup_counts(engine)
    finally:
        if owned:
            engine.dispose()
    expected: dict[str, int] = manifest["tables"]
    checks = [TableCheck(t, n, counts.get(t)) for t, n in sorted(expected.items())]
    checks += [TableCheck(t, 0, counts[t]) for t in sorted(set(counts) - set(expected))]
    return RestoreReport(
        path=path,
        backend=backend,
        sha256=manifest["sha256"],
        expected_revision=manifest["alembic_revision"],
        restored_revision=revision,
        tables=checks,
        missing_keys=_missing_keys(target, manifest.get("key_fingerprints")),
        warnings=warnings,
    )


def backup_counts(engine: Engine) -> tuple[dict[str, int], str | None]:
    """Row count per table and the Alembic revision of a database, as restore checks them."""
    if engine.dialect.name == "sqlite":
        return backup_sqlite.counts_of(_sqlite_file(engine))
    return backup_pg.counts_of(engine)


def file_sha256(path: Path) -> str:
    return _digests(path, None)[0]


def _digests(path: Path, mac_key: bytes | None) -> tuple[str, str | None]:
    """The file's SHA-256 and (with a key) its HMAC-SHA256, in one read of the file."""
    digest = hashlib.sha256()
    mac = hmac.new(mac_key, digestmod=hashlib.sha256) if mac_key is not None else None
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            if mac is not None:
                mac.update(chunk)
    return digest.hexdigest(), mac.hexdigest() if mac is not None else None


def _mac_key(target: App | Settings, path: Path, key_fingerprint: str) -> bytes:
    """The HMAC key the backup names, from the restoring side's keys, or a clear refusal."""
    if isinstance(target, Settings):
        try:
            keyring = crypto.keyring_from(target.secret_key, target.effective_key_file)
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"backup {path} is signed with key {key_fingerprint} and the encryption keys "
                f"here cannot be loaded ({exc}): configure the key file or ORDERHUB_SECRET_KEY "
                "of the installation that made the backup (a new key will not fit); nothing "
                "was restored"
            ) from exc
    else:
        keyring = target.keyring
    key = keyring.mac_key(MAC_PURPOSE, key_fingerprint)
    if key is None:
        raise ConfigurationError(
            f"backup {path} was made with keys not configured here (it is signed with key "
            f"{key_fingerprint}; keys here: {', '.join(keyring.fingerprints)}): restore the key "
            "file (or ORDERHUB_SECRET_KEY) of the installation that made it, without which its "
            "encrypted data cannot be read either; nothing was restored"
        )
    return key


def _refuse_non_empty(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        found = backup_sqlite.existing_tables(_sqlite_file(engine))
    else:
        found = backup_pg.existing_tables(engine)
    if found:
        parts = [f"{name} ({rows} rows)" for name, rows in sorted(found.items()) if rows]
        empty = sorted(name for name, rows in found.items() if not rows)
        if empty:
            parts.append("empty tables " + ", ".join(empty))
        listing = "; ".join(parts)
        raise Conflict(
            f"target database {shown_url(engine)} is not empty (found {listing}); restore only "
            "into a new, empty database — nothing was changed"
        )


def _engine_of(source: App | Settings) -> tuple[Engine, bool]:
    """The app's engine, or a new one from settings (True: we own it and must dispose it)."""
    if isinstance(source, Settings):
        return create_db_engine(source.effective_database_url), True
    return source.engine, False


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise NotSupported("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _keyring_of(source: App | Settings) -> crypto.Keyring | None:
    if not isinstance(source, Settings):
        return source.keyring
    try:
        return crypto.keyring_from(source.secret_key, source.effective_key_file)
    except ConfigurationError:
        return None


def _missing_keys(target: App | Settings, wanted: list[str] | None) -> list[str] | None:
    keyring = _keyring_of(target)
    if keyring is None or wanted is None:
        return None
    have = set(keyring.fingerprints)
    return [f for f in wanted if f not in have]
