"""`orderhub sku|stock`: the catalogue (商品档案) and stock (warehouses: cmd_warehouse).

    orderhub sku add CUP-500-RED --name "保温杯 500ml 红" --barcode 6901234567892 --weight 350
    orderhub sku import 商品档案.xlsx        # 编码, 名称, 条码, 重量, 成本: added or updated
    orderhub sku export --xlsx 商品档案.xlsx  # the same columns (--mappings: SKU 对应)
    orderhub sku import --mappings SKU对应.csv   # 平台SKU ID, 商家编码, 数量: one row a part
    orderhub stock receive CUP-500-RED=40 LID=100 --ref RK-001      # 入库
    orderhub stock count CUP-500-RED=37                              # 盘点: what the shelf has
    orderhub stock receive --file 入库单.xlsx --ref RK-002   # or count: 编码 and 数量 columns
    orderhub stock transfer CUP-500-RED=10 --from 主仓 --to 北仓      # 调拨
    orderhub sku map 1234567 CUP-500-RED LID*2    # a platform SKU (a bundle) is these SKUs
    orderhub sku unmapped                        # open orders' platform SKUs mapped to none
    orderhub stock levels [--warehouse 主仓]
    orderhub stock verify          # levels = ledger sums; exit 1 and the differences otherwise
    orderhub stock threshold set CUP-500-RED 20     # 库存预警: alert at ≤ 20 available
    orderhub stock replenish --window 30           # 补货建议 (see cli/stock_plan.py)
    orderhub stock push-settings --on              # 库存同步到平台 (see cli/stock_push.py)

Lines are CODE=QUANTITY; `--warehouse` defaults to the org's default warehouse. Costs
(`--cost`, in yuan) are shown and set only with finance.view.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli import cmd_export, stock_plan, stock_push
from cli.common import (
    acting_actor,
    add_actor_options,
    count,
    emit,
    open_cli_app,
    open_named_file,
)
from core.errors import ValidationError
from core.money import fen_to_yuan_text, yuan_to_fen
from core.stock import (
    catalogue,
    catalogue_file,
    levels,
    mapping,
    operations,
    sheets,
)
from core.stock.operations import Line


def register(sub: argparse._SubParsersAction) -> None:
    _register_sku(sub)
    _register_stock(sub)


def _register_sku(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sku", help="the merchant's SKUs (商品档案)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="add a SKU")
    add.add_argument("code", metavar="CODE", help="商家编码: what order lines carry as outer_id")
    _sku_options(add)
    add.set_defaults(handler=_sku_add)
    update = verbs.add_parser("update", help="change a SKU")
    update.add_argument("code", metavar="CODE")
    _sku_options(update)
    update.set_defaults(handler=_sku_update)
    verbs.add_parser("list", help="the SKUs").set_defaults(handler=_sku_list)
    imported = verbs.add_parser(
        "import", help="add or update SKUs from CSV/XLSX (编码, 名称, 条码, 重量, 成本)"
    )
    imported.add_argument("file", metavar="FILE")
    imported.add_argument(
        "--mappings", action="store_true", help="SKU 对应 (平台SKU ID, 商家编码, 数量) instead"
    )
    imported.set_defaults(handler=_sku_import)
    cmd_export.add_sku_export(verbs)
    mapped = verbs.add_parser(
        "map", help="SKU 对应: a platform SKU is these merchant SKUs (CODE or CODE*QTY)"
    )
    mapped.add_argument("platform_sku_id", metavar="PLATFORM_SKU_ID")
    mapped.add_argument("parts", nargs="+", metavar="CODE[*QTY]")
    mapped.add_argument("--platform", default="pinduoduo")
    mapped.set_defaults(handler=_sku_map)
    unmap = verbs.add_parser("unmap", help="remove a platform SKU's mapping")
    unmap.add_argument("platform_sku_id", metavar="PLATFORM_SKU_ID")
    unmap.add_argument("--platform", default="pinduoduo")
    unmap.set_defaults(handler=_sku_unmap)
    verbs.add_parser("mappings", help="the mappings set by hand").set_defaults(
        handler=_sku_mappings
    )
    verbs.add_parser(
        "unmapped", help="platform SKUs on open orders that map to no merchant SKU"
    ).set_defaults(handler=_sku_unmapped)
    for p in verbs.choices.values():
        add_actor_options(p)


def _sku_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name")
    parser.add_argument("--barcode")
    parser.add_argument("--weight", type=count, metavar="GRAMS")
    parser.add_argument("--cost", metavar="YUAN", help="cost price (needs finance.view)")


def _register_stock(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "stock",
        help="stock levels, receipts, counts, transfers and the ledger's proof",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, text in (
        ("receive", "入库: stock arrives"),
        ("count", "盘点: what the shelf has; the difference is posted"),
        ("transfer", "调拨: from one warehouse to another"),
    ):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("lines", nargs="*", metavar="CODE=QTY")
        if verb != "transfer":
            p.add_argument(
                "--file", help="CSV or XLSX with a code (编码) and a quantity (数量) column"
            )
        if verb == "transfer":
            p.add_argument("--from", dest="source", required=True, metavar="WAREHOUSE")
            p.add_argument("--to", dest="destination", required=True, metavar="WAREHOUSE")
        else:
            p.add_argument("--warehouse", help="default: the org's default warehouse")
        p.add_argument("--ref", default="", help="document number (入库单号 …)")
        p.add_argument("--note", default="")
        p.set_defaults(handler=_operate)
    lv = verbs.add_parser("levels", help="on hand, reserved and available")
    lv.add_argument("--warehouse")
    lv.set_defaults(handler=_levels)
    verbs.add_parser("verify", help="prove the levels against the ledger").set_defaults(
        handler=_verify
    )
    for p in verbs.choices.values():
        add_actor_options(p)
    stock_plan.register_verbs(verbs)  # threshold, plan, replenish (their own options)
    stock_push.register_verbs(verbs)  # push, push-settings


# ---------------------------------------------------------------- sku


def _cost(args: argparse.Namespace) -> int | None:
    return None if args.cost is None else yuan_to_fen(args.cost, field="cost")


def _sku_add(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    sku = catalogue.add_sku(
        app,
        acting_actor(app, args),
        args.code,
        args.name or "",
        barcode=args.barcode or "",
        weight_g=args.weight or 0,
        cost_fen=_cost(args),
    )
    _emit_skus(args, [sku])
    return 0


def _sku_update(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    sku = catalogue.update_sku(
        app,
        acting_actor(app, args),
        args.code,
        name=args.name,
        barcode=args.barcode,
        weight_g=args.weight,
        cost_fen=_cost(args),
    )
    _emit_skus(args, [sku])
    return 0


def _sku_list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _emit_skus(args, catalogue.list_skus(app, acting_actor(app, args)))
    return 0


def _emit_skus(args: argparse.Namespace, skus: list[catalogue.SkuInfo]) -> None:
    data = [
        {
            "code": s.code,
            "name": s.name,
            "barcode": s.barcode,
            "weight_g": s.weight_g,
            "cost_fen": s.cost_fen,
        }
        for s in skus
    ]
    rows = [
        (
            s.code,
            s.name,
            s.barcode,
            s.weight_g,
            "—" if s.cost_fen is None else fen_to_yuan_text(s.cost_fen),
        )
        for s in skus
    ]
    emit(args, data, rows, ("CODE", "NAME", "BARCODE", "GRAMS", "COST ¥"))


def _sku_import(args: argparse.Namespace) -> int:
    if args.mappings:
        return cmd_export.import_mappings(args, args.file)
    app = open_cli_app(args)
    with open_named_file(args.file) as stream:
        done = catalogue_file.import_catalogue(
            app, acting_actor(app, args), stream, Path(args.file).name
        )
    data = {"added": done.added, "updated": done.updated, "unchanged": done.unchanged}
    emit(args, data, [(done.added, done.updated, done.unchanged)], ("ADDED", "UPDATED", "SAME"))
    return 0


def parse_parts(texts: list[str]) -> list[mapping.Part]:
    """`CODE` or `CODE*QTY` arguments; a bad one is named by its position."""
    parts = []
    for number, text in enumerate(texts, start=1):
        code, star, qty = text.partition("*")
        digits = qty.strip() if star else "1"
        if not code.strip() or not (digits.isascii() and digits.isdigit()):
            raise ValidationError(
                f"part {number}: {text!r} is not CODE or CODE*QUANTITY (e.g. LID*2)",
                field="parts",
                row=number,
            )
        parts.append(mapping.Part(code.strip(), int(digits)))
    return parts


def _sku_map(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = mapping.map_platform_sku(
        app, acting_actor(app, args), args.platform, args.platform_sku_id, parse_parts(args.parts)
    )
    _emit_mappings(args, [found])
    return 0


def _sku_unmap(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    mapping.unmap_platform_sku(app, acting_actor(app, args), args.platform, args.platform_sku_id)
    emit(args, {"unmapped": args.platform_sku_id})
    return 0


def _sku_mappings(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _emit_mappings(args, mapping.list_mappings(app, acting_actor(app, args)))
    return 0


def _emit_mappings(args: argparse.Namespace, found: list[mapping.MappingInfo]) -> None:
    data = [
        {
            "platform": m.platform,
            "platform_sku_id": m.platform_sku_id,
            "parts": [{"code": p.code, "quantity": p.quantity} for p in m.parts],
        }
        for m in found
    ]
    rows = [
        (m.platform, m.platform_sku_id, " + ".join(f"{p.code}×{p.quantity}" for p in m.parts))
        for m in found
    ]
    emit(args, data, rows, ("PLATFORM", "PLATFORM SKU", "MERCHANT SKUS"))


def _sku_unmapped(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = mapping.unmapped(app, acting_actor(app, args))
    data = [
        {
            "platform": u.platform,
            "platform_sku_id": u.platform_sku_id,
            "outer_id": u.outer_id,
            "title": u.title,
            "orders": u.orders,
        }
        for u in found
    ]
    rows = [(u.platform, u.platform_sku_id, u.outer_id, u.title, u.orders) for u in found]
    emit(args, data, rows, ("PLATFORM", "PLATFORM SKU", "OUTER ID", "TITLE", "OPEN ORDERS"))
    return 0


# ---------------------------------------------------------------- stock


def parse_lines(texts: list[str]) -> list[Line]:
    """`CODE=QTY` arguments; a bad one is named by its position."""
    lines = []
    for number, text in enumerate(texts, start=1):
        code, sep, qty = text.rpartition("=")
        digits = qty.strip()
        if not sep or not code.strip() or not (digits.isascii() and digits.isdigit()):
            raise ValidationError(
                f"line {number}: {text!r} is not CODE=QUANTITY (e.g. CUP-500-RED=40)",
                field="lines",
                row=number,
            )
        lines.append(Line(code.strip(), int(digits)))
    return lines


def _operate(args: argparse.Namespace) -> int:
    """receive, count or transfer: the same lines, where they go, a reference."""
    app = open_cli_app(args)
    actor, lines = acting_actor(app, args), parse_lines(args.lines)
    if getattr(args, "file", None):
        lines += _file_lines(args.file, receipt=args.verb == "receive")
    if not lines:
        raise ValidationError("give CODE=QTY lines or --file", field="lines")
    common = {"reference": args.ref, "note": args.note}
    if args.verb == "transfer":
        where = {"source": args.source, "destination": args.destination}
        posted = operations.transfer(app, actor, lines, **where, **common)
    else:
        operation = operations.receive if args.verb == "receive" else operations.count
        posted = operation(app, actor, lines, warehouse=args.warehouse, **common)
    emit(
        args,
        {"moves": posted.moves, "units": posted.units},
        [(args.verb, posted.moves, posted.units)],
        ("OPERATION", "MOVES", "UNITS"),
    )
    return 0


def _file_lines(path: str, *, receipt: bool) -> list[Line]:
    with open_named_file(path) as stream:
        return sheets.read_lines(
            stream, Path(path).name, summing=receipt, minimum=1 if receipt else 0
        )


def _levels(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = levels.list_levels(app, acting_actor(app, args), warehouse=args.warehouse)
    data = [
        {
            "warehouse": lv.warehouse,
            "code": lv.code,
            "name": lv.name,
            "on_hand": lv.on_hand,
            "reserved": lv.reserved,
            "available": lv.available,
        }
        for lv in found
    ]
    rows = [(lv.warehouse, lv.code, lv.name, lv.on_hand, lv.reserved, lv.available) for lv in found]
    emit(args, data, rows, ("WAREHOUSE", "CODE", "NAME", "ON HAND", "RESERVED", "AVAILABLE"))
    return 0


def _verify(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    differences = levels.verify(app, acting_actor(app, args))
    data = [
        {"warehouse": d.warehouse, "code": d.code, "level": d.level, "ledger": d.ledger}
        for d in differences
    ]
    if not differences:
        emit(args, {"ok": True, "differences": []})
        return 0
    rows = [
        (d.warehouse, d.code, f"{d.level[0]}/{d.level[1]}", f"{d.ledger[0]}/{d.ledger[1]}")
        for d in differences
    ]
    emit(args, data, rows, ("WAREHOUSE", "CODE", "LEVEL on/res", "LEDGER on/res"))
    return 1
