"""`orderhub keys status | rotate | reencrypt | generate`: encryption keys for secrets at rest.

rotate     adds a new key in front of the key file (old keys stay) and re-encrypts every
           stored secret under it. With several orderhub processes, use `--add-only`,
           restart them all so they load the new key, then run `reencrypt`.
reencrypt  moves every secret still under an older key onto the newest one; safe to repeat.
           This is the second step when keys come from ORDERHUB_SECRET_KEY: put a new key
           (from `generate`) first in the variable, restart, then run it.
status     how many keys there are and how many stored values each column has per key age
           (`clear`: order payloads kept unencrypted because they hold no personal data).
generate   prints a fresh key for ORDERHUB_SECRET_KEY; it is not stored anywhere.
"""

from __future__ import annotations

import argparse
import sys

from cli.common import EXIT_ERROR, EXIT_OK, add_json_option, emit, settings_from
from core import crypto
from core.app import App
from core.keys import rotation
from core.startup import open_app


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "keys",
        help="encryption keys: status, rotate, reencrypt, generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="keys and stored values per key age")
    status.set_defaults(handler=run_status)
    rotate = actions.add_parser("rotate", help="add a new key to the key file and re-encrypt")
    rotate.add_argument(
        "--add-only",
        action="store_true",
        help="only add the key; run `keys reencrypt` after restarting other processes",
    )
    rotate.set_defaults(handler=run_rotate)
    again = actions.add_parser("reencrypt", help="re-encrypt stored secrets under the newest key")
    again.set_defaults(handler=run_reencrypt)
    generate = actions.add_parser("generate", help="print a new key for ORDERHUB_SECRET_KEY")
    generate.set_defaults(handler=run_generate)
    for action in (status, rotate, again, generate):
        add_json_option(action)


def _open(args: argparse.Namespace) -> App:
    # Keys need the database and the keyring, not plugins.
    return open_app(settings_from(args), load_plugins=False)


def run_status(args: argparse.Namespace) -> int:
    app = _open(args)
    try:
        status = rotation.key_status(app)
    finally:
        app.close()
    data = {
        "key_count": status.key_count,
        "source": status.source,
        "fingerprints": status.fingerprints,
        "columns": [vars(c) for c in status.columns],
    }
    if getattr(args, "json", False):
        emit(args, data)
    else:
        print(f"keys: {status.key_count} from {status.source} (newest first)")
        for index, fp in enumerate(status.fingerprints):
            print(f"  {fp}{'  (encrypts)' if index == 0 else ''}")
        rows = [
            (f"{c.table}.{c.column}", c.current, c.old, c.clear, c.unreadable)
            for c in status.columns
        ]
        emit(args, None, table=rows, headers=("column", "current", "old", "clear", "unreadable"))
        if status.old:
            print(f"{status.old} value(s) under an older key: run `orderhub keys reencrypt`")
    if status.unreadable:
        print(
            f"orderhub: error: {status.unreadable} value(s) cannot be decrypted by any key",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def run_rotate(args: argparse.Namespace) -> int:
    app = _open(args)
    try:
        report = rotation.rotate_keys(app, reencrypt_now=not args.add_only)
    finally:
        app.close()
    _print_rotation(args, report)
    if args.add_only:
        print("restart every orderhub process, then run `orderhub keys reencrypt`")
    return EXIT_OK


def run_reencrypt(args: argparse.Namespace) -> int:
    app = _open(args)
    try:
        report = rotation.reencrypt(app)
    finally:
        app.close()
    _print_rotation(args, report)
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    key = crypto.generate_key()
    as_json = getattr(args, "json", False)
    emit(args, {"key": key, "fingerprint": crypto.fingerprint(key)} if as_json else key)
    return EXIT_OK


def _print_rotation(args: argparse.Namespace, report: rotation.RotationReport) -> None:
    data = {
        "key_count": report.key_count,
        "new_key": report.new_key,
        "rotated": report.rotated,
        "remaining": report.remaining,
        "columns": [vars(c) for c in report.columns],
    }
    if getattr(args, "json", False):
        emit(args, data)
        return
    if report.new_key:
        print(f"new key {report.new_key} added; {report.key_count} key(s) in total")
    if not report.columns:
        return
    rows = [
        (
            f"{c.table}.{c.column}",
            c.scanned,
            c.rotated,
            c.already_current,
            c.clear,
            c.skipped_changed,
        )
        for c in report.columns
    ]
    headers = ("column", "scanned", "rotated", "current", "clear", "changed")
    emit(args, None, table=rows, headers=headers)
    if report.remaining:
        print(f"{report.remaining} value(s) changed meanwhile: run `orderhub keys reencrypt` again")
