"""`orderhub orders`: the order desk — list, search, show, audit, edit, tag, hold, merge.

The verbs live in `cli/orders_*.py`, one module per part of the desk, each with
`add_verbs(verbs)`; this module gathers them under one `orders` command.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

import cli

#: Verb modules listed first in `--help`, in the day's order; any other follows by name.
FIRST = ("orders_view", "orders_audit", "orders_edit", "orders_packages")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "orders",
        help="the order desk: list, search, show, audit, edit, tag, hold, merge and split",
        description=__doc__.split("\n\n", 1)[0],
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    names = [i.name for i in pkgutil.iter_modules(cli.__path__) if i.name.startswith("orders_")]
    for name in sorted(
        names, key=lambda n: (n not in FIRST, FIRST.index(n) if n in FIRST else 0, n)
    ):
        importlib.import_module(f"cli.{name}").add_verbs(verbs)
