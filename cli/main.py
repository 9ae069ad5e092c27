"""The `orderhub` command. Sub-commands live in `cli/cmd_*.py`, each with `register(sub)`.

Discovery by module name keeps this file stable as commands are added.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import cli
from cli.common import join_token_values, run_handler
from core import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orderhub",
        description="orderhub — self-hosted order hub: sync orders, e-waybills, batch printing.",
    )
    parser.add_argument("--version", action="version", version=f"orderhub {__version__}")
    parser.add_argument("--config", help="config file (default: ORDERHUB_CONFIG or user config)")
    parser.add_argument("--json", action="store_true", help="print data as JSON")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"cli.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(join_token_values(words, _option_strings(parser)))
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0 if args.command is None else 2
    return run_handler(args)


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option name of the command and its sub-commands (`--json`, `--state`, …)."""
    names: set[str] = set()
    for action in parser._actions:
        names.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                names |= _option_strings(sub)
    return names


if __name__ == "__main__":
    sys.exit(main())
