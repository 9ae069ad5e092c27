"""`orderhub backup PATH` and `orderhub restore PATH`: online backup, verified restore.

Backup runs while orderhub keeps working. Restore goes only into an empty database of the
same kind, checks the backup's SHA-256 and HMAC first, and compares every table's row count
with the manifest afterwards (exit 1 on any difference). The key file is not part of a
backup: keep it (or ORDERHUB_SECRET_KEY) safe separately, or encrypted data cannot be read
after restore; the HMAC is keyed from it too, so a restore needs the keys of the
installation that made the backup. Backup and manifest are written 0600: they hold password
and token hashes.
"""

from __future__ import annotations

import argparse
import sys

from cli.common import EXIT_ERROR, EXIT_OK, add_json_option, emit, file_path, settings_from
from core.backup import service as backups


def register(sub: argparse._SubParsersAction) -> None:
    make = sub.add_parser(
        "backup",
        help="back up the database while orderhub runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    make.add_argument("path", type=file_path, help="backup file; PATH.manifest.json is written too")
    make.add_argument("--force", action="store_true", help="overwrite an existing backup")
    add_json_option(make)
    make.set_defaults(handler=run_backup)

    back = sub.add_parser(
        "restore",
        help="restore a backup into an empty database",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    back.add_argument(
        "path", type=file_path, help="backup file (with PATH.manifest.json beside it)"
    )
    add_json_option(back)
    back.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    # Settings only: a backup needs the database, not plugins or services.
    report = backups.backup(settings_from(args), args.path, overwrite=args.force)
    if getattr(args, "json", False):
        emit(args, report.as_dict())
        _warn(report.warnings)
        return EXIT_OK
    emit(args, None, table=sorted(report.tables.items()), headers=("table", "rows"))
    print(f"backup:   {report.path} ({report.size_bytes} bytes, {report.backend}, {report.method})")
    print(f"manifest: {report.manifest_path}")
    print(f"revision: {report.alembic_revision}")
    print(f"sha256:   {report.sha256}")
    _warn(report.warnings)
    print("keep the key file (or ORDERHUB_SECRET_KEY) safe too: the backup does not contain it")
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    # Settings only: the target database is empty, so the app cannot be opened on it yet.
    report = backups.restore(settings_from(args), args.path)
    if getattr(args, "json", False):
        emit(args, report.as_dict())
    else:
        rows = [
            (t.table, t.expected, "missing" if t.restored is None else t.restored, _mark(t.ok))
            for t in report.tables
        ]
        emit(args, None, table=rows, headers=("table", "expected", "restored", "ok"))
        print(f"revision: expected {report.expected_revision}, got {report.restored_revision}")
        print(f"sha256:   {report.sha256} (verified before restoring)")
    _warn(report.warnings)
    if report.missing_keys:
        print(
            "orderhub: warning: the backup's data was encrypted with keys not configured here "
            f"(fingerprints {', '.join(report.missing_keys)}); restore the key file from the "
            "same installation or those values cannot be read",
            file=sys.stderr,
        )
    if not report.ok:
        print("orderhub: error: the restored database differs from the manifest", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"orderhub: warning: {warning}", file=sys.stderr)


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISMATCH"
