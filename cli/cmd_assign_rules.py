"""`orderhub assign-rules list|add|remove|move|enable|disable|apply` — 自动分配.

The first enabled rule, by position, whose conditions all hold gives an order its carrier
account and template, so `orderhub print` needs no `--carrier`. Conditions: `--province`,
`--shop`, `--sku` and `--tag` (any of the values given, each repeatable), `--platform`,
`--min-weight`/`--max-weight` (grams, the package's weight). A rule without conditions is
the default. Orders assigned by hand (`orderhub orders assign`) are never changed by
rules. `apply` re-applies the rules to every unprinted order.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from cli.common import (
    acting_actor,
    add_actor_options,
    count,
    emit,
    open_cli_app,
)
from core.assignment import assigning, service
from core.assignment.service import RuleInfo


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "assign-rules",
        help="rules choosing orders' carrier account and template (自动分配)",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    listing = verbs.add_parser("list", help="the rules in the order they are tried")
    listing.set_defaults(handler=_list)

    add = verbs.add_parser("add", help="add a rule")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--carrier", metavar="ACCOUNT", help="carrier account to assign")
    add.add_argument("--template", default="", metavar="NAME", help="label template to assign")
    add.add_argument("--province", action="append", default=[], metavar="P")
    add.add_argument("--shop", action="append", default=[], metavar="SHOP")
    add.add_argument("--sku", action="append", default=[], metavar="CODE")
    add.add_argument("--tag", action="append", default=[], metavar="TAG")
    add.add_argument("--platform", action="append", default=[], metavar="NAME")
    add.add_argument("--min-weight", type=count, metavar="GRAMS")
    add.add_argument("--max-weight", type=count, metavar="GRAMS")
    add.add_argument("--position", type=count, metavar="N", help="1 = tried first")
    add.add_argument("--disabled", action="store_true", help="add it switched off")
    add.set_defaults(handler=_add)

    remove = verbs.add_parser("remove", help="remove a rule")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_remove)

    move = verbs.add_parser("move", help="move a rule to a position")
    move.add_argument("name", metavar="NAME")
    move.add_argument("position", type=count, metavar="POSITION")
    move.set_defaults(handler=_move)

    for verb, on in (("enable", True), ("disable", False)):
        switch = verbs.add_parser(verb, help=f"{verb} a rule")
        switch.add_argument("name", metavar="NAME")
        switch.set_defaults(handler=_switch, enabled=on)

    apply = verbs.add_parser("apply", help="re-apply the rules to unprinted orders")
    apply.set_defaults(handler=_apply)

    for p in verbs.choices.values():
        add_actor_options(p)


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _rules(args, service.list_rules(app, acting_actor(app, args)))
    return 0


def _add(args: argparse.Namespace) -> int:
    conditions: dict[str, Any] = {
        key: values
        for key, values in (
            ("provinces", args.province),
            ("shops", args.shop),
            ("skus", args.sku),
            ("tags", args.tag),
            ("platforms", args.platform),
        )
        if values
    }
    if args.min_weight is not None:
        conditions["min_weight_g"] = args.min_weight
    if args.max_weight is not None:
        conditions["max_weight_g"] = args.max_weight
    app = open_cli_app(args)
    info = service.add_rule(
        app,
        acting_actor(app, args),
        args.name,
        conditions,
        carrier_account=args.carrier,
        template=args.template,
        position=args.position,
        enabled=not args.disabled,
    )
    _rules(args, [info])
    return 0


def _remove(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    service.remove_rule(app, acting_actor(app, args), args.name)
    emit(args, {"removed": args.name})
    return 0


def _move(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _rules(args, service.move_rule(app, acting_actor(app, args), args.name, args.position))
    return 0


def _switch(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    info = service.update_rule(app, acting_actor(app, args), args.name, enabled=args.enabled)
    _rules(args, [info])
    return 0


def _apply(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    changed = assigning.apply_rules(app, acting_actor(app, args))
    emit(args, {"changed": changed})
    return 0


def _rules(args: argparse.Namespace, rules: list[RuleInfo]) -> None:
    rows = [
        (
            r.position,
            r.name,
            "on" if r.enabled else "off",
            r.carrier_account or "-",
            r.template or "-",
            _conditions_text(r.conditions),
        )
        for r in rules
    ]
    emit(
        args,
        [asdict(r) for r in rules],
        rows,
        ("POS", "NAME", "ENABLED", "CARRIER", "TEMPLATE", "CONDITIONS"),
    )


def _conditions_text(conditions: dict[str, Any]) -> str:
    if not conditions:
        return "(default: every order)"
    parts = []
    for key, value in conditions.items():
        shown = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{key}={shown}")
    return " ".join(parts)
