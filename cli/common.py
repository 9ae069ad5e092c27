"""What every sub-command shares: opening the app, the local actor, output, error mapping.

The CLI runs on the host with access to the database and key file, so it acts as the
system actor of an org (`core.accounts.actors`); every act is still audited, labelled
with the OS user who ran it. Commands share helpers through this module only, never by
importing each other.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from core.accounts import actors
from core.actor import Actor
from core.app import App
from core.config import Settings, load_settings
from core.db import database_failure
from core.errors import OrderhubError, ValidationError
from core.startup import open_app

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]
#: Where `orderhub sandbox --persist` and `orderhub demo` keep the sandbox's state.
SANDBOX_STATE_FILE = "sandbox-state.json"


#: Options whose value is a token made elsewhere (an OAuth state or code) and may start with
#: "-", which argparse would read as an option: see `add_token_option`.
TOKEN_OPTIONS: set[str] = set()


def add_token_option(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    """An option whose value may start with "-": `--state -abc` works like `--state=-abc`."""
    TOKEN_OPTIONS.add(name)
    parser.add_argument(name, help=help)


def join_token_values(argv: Sequence[str], option_names: set[str]) -> list[str]:
    """`--state -abc` as `--state=-abc`, for the options registered by `add_token_option`.

    A following word that is one of the command's own options (`--state --json`) is left
    alone, so argparse still says the value is missing; so is everything after `--`.
    """
    out: list[str] = []
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            out += words[i:]
            break
        value = words[i + 1] if i + 1 < len(words) else None
        if (
            word in TOKEN_OPTIONS
            and value is not None
            and value.startswith("-")
            and value != "--"
            and value.split("=", 1)[0] not in option_names
        ):
            out.append(f"{word}={value}")
            i += 2
            continue
        out.append(word)
        i += 1
    return out


#: Row ids are 32-bit integers on PostgreSQL: a larger number cannot name a row.
MAX_RECORD_ID = 2**31 - 1


def record_id(text: str) -> int:
    """argparse type of a row id (job, shop, token, package): 1 to `MAX_RECORD_ID`."""
    return _whole_number(text, 1, "an id")


def count(text: str) -> int:
    """argparse type of a limit, a number of days or minutes, a dpi: 0 to `MAX_RECORD_ID`
    (the service then checks its own range)."""
    return _whole_number(text, 0, "a count")


def _whole_number(text: str, low: int, what: str) -> int:
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not {what} (a whole number)")
    value = int(digits)
    if not low <= value <= MAX_RECORD_ID:
        raise argparse.ArgumentTypeError(f"{value} is not {what} ({low} to {MAX_RECORD_ID})")
    return value


def file_path(text: str) -> Path:
    """argparse type of a file name: any text but one holding a NUL, which no file has."""
    if "\x00" in text:
        raise argparse.ArgumentTypeError("a file name cannot contain a NUL character")
    return Path(text)


def settings_from(args: argparse.Namespace) -> Settings:
    path = Path(args.config) if getattr(args, "config", None) else None
    return load_settings(path)


def open_cli_app(args: argparse.Namespace, *, bulk_writes: bool = False) -> App:
    """The app for a command; `bulk_writes` for those that insert orders in bulk."""
    return open_app(settings_from(args), bulk_writes=bulk_writes)


def cli_actor(app: App, org_name: str | None) -> Actor:
    """The system actor for `--org`, or for the only org when there is just one."""
    return actors.system_actor(app, org_name, label=f"cli:{getpass.getuser()}")


def acting_actor(app: App, args: argparse.Namespace) -> Actor:
    """The org's system actor, or with `--as USER` that user of the org."""
    system = cli_actor(app, args.org)
    if not args.as_user:
        return system
    return actors.user_actor(app, system.org_id, args.as_user)


def add_org_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", help="org (merchant account) name; default: the only one")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """`--json` after the sub-command too; SUPPRESS keeps `orderhub --json CMD` working."""
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print data as JSON"
    )


def add_actor_options(parser: argparse.ArgumentParser) -> None:
    """`--org`, `--json` and `--as USER` (act as this user): what every verb that acts for
    a person takes (see `acting_actor`)."""
    add_org_option(parser)
    add_json_option(parser)
    if not any(action.dest == "as_user" for action in parser._actions):
        parser.add_argument("--as", dest="as_user", metavar="USER", help="act as this user")


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


@contextmanager
def notifications_on_console() -> Iterator[None]:
    """Show on stderr what the built-in `log` notifier sends while a command sends codes.

    The CLI logs warnings only, and the log is the one place a code that notifier delivers
    is written (the alerts table gets it masked): the operator's console is where they read
    it and pass it on. Other notifiers (SMS, e-mail) are not affected.
    """
    logger = logging.getLogger("orderhub.notify")
    saved = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(saved)


def run_handler(args: argparse.Namespace) -> int:
    """Map typed errors to one line on stderr and exit code 1; never a traceback for users."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except OrderhubError as exc:
        print(f"orderhub: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("orderhub: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` that stopped reading: quietly stop, as the shell expects.
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as exc:
        if exc.filename is None:
            raise
        # A file the user named cannot be read or written: too long, missing, a directory,
        # no permission. Name it and the reason, as `cp` would.
        print(f"orderhub: error: {str(exc.filename)[:200]}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        reason = database_failure(exc)  # the database is down, unreachable or refuses us
        if reason is None:
            raise
        print(f"orderhub: error: database: {reason}", file=sys.stderr)
        return EXIT_ERROR


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM, then put the previous handlers back."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def read_password(prompt: str, given: str | None, stdin_flag: bool = False) -> str:
    """A password from --password-stdin, the option, or an interactive prompt (asked twice)."""
    if stdin_flag:
        return sys.stdin.readline().rstrip("\n")
    if given:
        return given
    if not sys.stdin.isatty():
        raise ValidationError(
            "no terminal to ask for the password on: pipe it in with --password-stdin",
            field="password",
        )
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise OrderhubError("the two passwords differ")
    return first


def open_named_file(path: str) -> BinaryIO:
    """A file the user named, opened for reading; a name no file system takes (a NUL in
    it) is a clear error, and the rest (missing, a directory, no permission) is named by
    `run_handler` like `cp` would."""
    if "\x00" in path:
        raise ValidationError("a file name cannot contain a NUL character", field="file")
    return Path(path).open("rb")
