"""What every sub-command shares: opening the app, the local actor, output, error mapping.

The CLI runs on the host with access to the database and key file, so it acts as the
system actor of an org (like Django's `manage.py`); every act is still audited, labelled
with the OS user who ran it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core.actor import Actor
from core.app import App
from core.config import Settings, load_settings
from core.errors import NotFound, OrderhubError
from core.startup import open_app

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


def settings_from(args: argparse.Namespace) -> Settings:
    path = Path(args.config) if getattr(args, "config", None) else None
    return load_settings(path)


def open_cli_app(args: argparse.Namespace) -> App:
    return open_app(settings_from(args))


def cli_actor(app: App, org_name: str | None) -> Actor:
    """The system actor for `--org`, or for the only org when there is just one."""
    from core.models import Org

    with app.tx() as session:
        orgs = list(session.scalars(select(Org).order_by(Org.id)))
    if org_name:
        match = [o for o in orgs if o.name == org_name]
        if not match:
            raise NotFound(f"no org named {org_name!r}; known: {', '.join(o.name for o in orgs)}")
        org = match[0]
    elif len(orgs) == 1:
        org = orgs[0]
    elif not orgs:
        raise NotFound("no org yet: run `orderhub init` first")
    else:
        raise NotFound(
            "several orgs exist; choose one with --org (" + ", ".join(o.name for o in orgs) + ")"
        )
    return Actor.system(org.id, label=f"cli:{getpass.getuser()}")


def add_org_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", help="org (merchant account) name; default: the only one")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """`--json` after the sub-command too; SUPPRESS keeps `orderhub --json CMD` working."""
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print data as JSON"
    )


def emit(
    args: argparse.Namespace,
    data: Any,
    table: Iterable[Sequence[Any]] | None = None,
    headers: Sequence[str] | None = None,
) -> None:
    """Print `data` as JSON with --json, else `table` (rows) as aligned text."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    if table is None:
        if isinstance(data, dict):
            for key, value in data.items():
                print(f"{key}: {value}")
        else:
            print(data)
        return
    rows = [[str(c) for c in row] for row in table]
    cols = [list(headers), *rows] if headers else rows
    widths = [max(_width(r[i]) for r in cols) for i in range(len(cols[0]))] if cols else []
    for row in cols:
        print("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal cells."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def run_handler(args: argparse.Namespace) -> int:
    """Map typed errors to one line on stderr and exit code 1; never a traceback for users."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except OrderhubError as exc:
        print(f"orderhub: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OperationalError as exc:  # the database is down, unreachable or refuses us
        reason = str(exc.orig or exc).strip().splitlines()[0]
        print(f"orderhub: error: database: {reason}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("orderhub: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` that stopped reading: quietly stop, as the shell expects.
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def read_password(prompt: str, given: str | None, stdin_flag: bool = False) -> str:
    """A password from --password-stdin, the option, or an interactive prompt (asked twice)."""
    if stdin_flag:
        return sys.stdin.readline().rstrip("\n")
    if given:
        return given
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise OrderhubError("the two passwords differ")
    return first
