"""`orderhub orders`: the order desk — list, search, show, audit, edit, tag, hold, merge.

The verbs live in `cli/orders_*.py`, one module per part of the desk, each with
`add_verbs(verbs)`; this module gathers them under one `orders` command.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

import cli


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "orders",
        help="the order desk: list, search, show, audit, edit, tag, hold, merge and split",
        description=__doc__.split("\n\n", 1)[0],
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda i: i.name):
        if info.name.startswith("orders_"):
            importlib.import_module(f"cli.{info.name}").add_verbs(verbs)
