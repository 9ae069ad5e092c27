"""`orderhub warehouse`: warehouses (仓库), their bins (库位) and routing rules (分仓规则).

    orderhub warehouse add 北仓 --province 北京市 --city 北京市 --district 朝阳区 \\
        --address "酒仙桥路 2 号" --contact 王五 --phone 13900000002
    orderhub warehouse update 北仓 --sender-province 北京市 --sender-city 北京市 \\
        --sender-district 朝阳区 --sender-address "酒仙桥路 2 号"   # its labels' 寄件人
    orderhub warehouse list
    orderhub warehouse bin set CUP-500-RED A-01-03 [--warehouse 北仓]   # "" removes it
    orderhub warehouse bin import 库位.xlsx [--warehouse 北仓]   # 编码 and 库位 columns
    orderhub warehouse bin list [--warehouse 北仓]
    orderhub warehouse rule add 北方 --warehouse 北仓 --province 北京 --province 河北
    orderhub warehouse rule add 有货优先 --warehouse 主仓 --warehouse 北仓 --by-stock
    orderhub warehouse rule list | remove NAME

Rules are tried in order; the first that matches gives an arriving order its warehouse
(`--by-stock`: the first of its warehouses that can fill the whole order), else the
default warehouse does. `orderhub orders route ORDER_NO… --warehouse NAME` moves orders
by hand. A warehouse without a sender address prints its carrier account's sender.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import acting_actor, add_actor_options, count, emit, open_cli_app, open_named_file
from core.contracts.types import Contact
from core.stock import bins, bins_file, routing_rules, warehouses

_PLACE = ("contact", "phone", "province", "city", "district", "address")
_SENDER = ("name", "phone", "province", "city", "district", "address")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "warehouse",
        help="warehouses (仓库), bins (库位) and routing rules (分仓规则)",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="add a warehouse (the first is the default)")
    add.add_argument("name", metavar="NAME")
    _house_options(add, default="")
    add.add_argument("--default", action="store_true", help="make it the default")
    add.set_defaults(handler=_add)
    update = verbs.add_parser("update", help="change a warehouse")
    update.add_argument("name", metavar="NAME")
    update.add_argument("--rename", metavar="NEW_NAME")
    _house_options(update, default=None)
    update.add_argument("--default", action="store_true", help="make it the default")
    update.add_argument(
        "--no-sender", action="store_true", help="print the carrier account's sender again"
    )
    update.set_defaults(handler=_update)
    verbs.add_parser("list", help="the warehouses").set_defaults(handler=_list)
    leaves = [add, update, verbs.choices["list"]]
    leaves += _register_bins(verbs.add_parser("bin", help="bins (库位) of SKUs"))
    leaves += _register_rules(verbs.add_parser("rule", help="routing rules (分仓规则)"))
    for p in leaves:
        add_actor_options(p)


def _house_options(parser: argparse.ArgumentParser, default: str | None) -> None:
    for option in _PLACE:
        parser.add_argument(f"--{option}", default=default)
    for option in _SENDER:
        parser.add_argument(
            f"--sender-{option}", default=None, help=f"寄件人 {option} on its labels"
        )


def _register_bins(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    verbs = parser.add_subparsers(dest="bin_verb", metavar="VERB", required=True)
    put = verbs.add_parser("set", help='where a SKU lies ("" removes its bin)')
    put.add_argument("code", metavar="CODE")
    put.add_argument("bin", metavar="BIN")
    put.set_defaults(handler=_bin_set)
    imported = verbs.add_parser("import", help="bins from CSV/XLSX (编码 and 库位 columns)")
    imported.add_argument("file", metavar="FILE")
    imported.set_defaults(handler=_bin_import)
    listing = verbs.add_parser("list", help="the bins, in picking order")
    listing.set_defaults(handler=_bin_list)
    for p in (put, imported, listing):
        p.add_argument("--warehouse", help="default: the org's default warehouse")
    return [put, imported, listing]


def _register_rules(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    verbs = parser.add_subparsers(dest="rule_verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="add a routing rule")
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--warehouse", action="append", required=True, metavar="NAME", help="repeatable, in order"
    )
    add.add_argument("--province", action="append", default=[], metavar="P")
    add.add_argument("--shop", action="append", default=[], metavar="SHOP")
    add.add_argument(
        "--by-stock", action="store_true", help="the first warehouse that can fill the order"
    )
    add.add_argument("--position", type=count, metavar="N", help="1 = tried first")
    add.set_defaults(handler=_rule_add)
    listing = verbs.add_parser("list", help="the rules in the order they are tried")
    listing.set_defaults(handler=_rule_list)
    remove = verbs.add_parser("remove", help="remove a rule")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_rule_remove)
    return [add, listing, remove]


# ---------------------------------------------------------------- warehouses


def _sender(args: argparse.Namespace) -> Contact | None:
    given = {k: getattr(args, f"sender_{k}") for k in _SENDER}
    if getattr(args, "no_sender", False):
        return Contact("", "", "", "", "", "")
    if all(v is None for v in given.values()):
        return None
    return Contact(**{k: v or "" for k, v in given.items()})


def _add(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    house = warehouses.add_warehouse(
        app,
        acting_actor(app, args),
        args.name,
        **{k: getattr(args, k) for k in _PLACE},
        sender=_sender(args),
        default=args.default,
    )
    _emit_houses(args, [house])
    return 0


def _update(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    house = warehouses.update_warehouse(
        app,
        acting_actor(app, args),
        args.name,
        new_name=args.rename,
        **{k: getattr(args, k) for k in _PLACE},
        sender=_sender(args),
        default=True if args.default else None,
    )
    _emit_houses(args, [house])
    return 0


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _emit_houses(args, warehouses.list_warehouses(app, acting_actor(app, args)))
    return 0


def _emit_houses(args: argparse.Namespace, houses: list[warehouses.WarehouseInfo]) -> None:
    data = [
        {
            "name": h.name,
            "default": h.is_default,
            "contact": h.contact,
            "phone": h.phone,
            "address": h.address,
            "sender": h.sender,
        }
        for h in houses
    ]
    rows = [
        (
            h.name,
            "yes" if h.is_default else "",
            f"{h.contact} {h.phone}".strip(),
            h.address,
            h.sender or "(carrier account's)",
        )
        for h in houses
    ]
    emit(args, data, rows, ("WAREHOUSE", "DEFAULT", "CONTACT", "ADDRESS", "SENDER"))


# ---------------------------------------------------------------- bins


def _bin_set(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = bins.set_bin(
        app, acting_actor(app, args), args.code, args.bin, warehouse=args.warehouse
    )
    _emit_bins(args, [found])
    return 0


def _bin_import(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    with open_named_file(args.file) as stream:
        done = bins_file.import_bins(
            app, acting_actor(app, args), stream, Path(args.file).name, warehouse=args.warehouse
        )
    data = {"warehouse": done.warehouse, "changed": done.changed, "unchanged": done.unchanged}
    emit(args, data, [(done.warehouse, done.changed, done.unchanged)], ("WAREHOUSE", "SET", "SAME"))
    return 0


def _bin_list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _emit_bins(args, bins.list_bins(app, acting_actor(app, args), warehouse=args.warehouse))
    return 0


def _emit_bins(args: argparse.Namespace, found: list[bins.BinInfo]) -> None:
    data = [{"warehouse": b.warehouse, "code": b.code, "name": b.name, "bin": b.bin} for b in found]
    rows = [(b.warehouse, b.bin or "(none)", b.code, b.name) for b in found]
    emit(args, data, rows, ("WAREHOUSE", "BIN", "CODE", "NAME"))


# ---------------------------------------------------------------- rules


def _rule_add(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    rule = routing_rules.add_rule(
        app,
        acting_actor(app, args),
        args.name,
        args.warehouse,
        provinces=args.province,
        shops=args.shop,
        by_stock=args.by_stock,
        position=args.position,
    )
    _emit_rules(args, [rule])
    return 0


def _rule_list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _emit_rules(args, routing_rules.list_rules(app, acting_actor(app, args)))
    return 0


def _rule_remove(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    routing_rules.remove_rule(app, acting_actor(app, args), args.name)
    emit(args, {"removed": args.name})
    return 0


def _emit_rules(args: argparse.Namespace, rules: list[routing_rules.RuleInfo]) -> None:
    data = [
        {
            "name": r.name,
            "position": r.position,
            "warehouses": list(r.warehouses),
            "provinces": list(r.provinces),
            "shops": list(r.shops),
            "by_stock": r.by_stock,
        }
        for r in rules
    ]
    rows = [
        (
            r.position,
            r.name,
            ", ".join(r.provinces) or "any",
            ", ".join(r.shops) or "any",
            (" → ".join(r.warehouses)) + (" (by stock)" if r.by_stock else ""),
        )
        for r in rules
    ]
    emit(args, data, rows, ("#", "RULE", "PROVINCES", "SHOPS", "WAREHOUSE"))
