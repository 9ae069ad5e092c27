"""`orderhub rates`: the carrier accounts' rate cards (运费模板) that the shipping-cost
report prices parcels with.

    orderhub rates set 圆通 --first 3.00 --step 1.00                  # every province
    orderhub rates set 圆通 --province 新疆维吾尔自治区 --first 12 --step 8
    orderhub rates set 顺丰 --first-weight 500 --first 12 --step-weight 500 --step 2
    orderhub rates import 运费模板.xlsx
        # columns 快递账号, 省份, 首重(克), 首重价格(元), 续重(克), 续重价格(元)
    orderhub rates list
    orderhub rates delete 圆通 --province 新疆维吾尔自治区

Prices are in yuan, weights in grams (首重 1,000 g and 续重 per 1,000 g by default). A
parcel costs the first price, plus the step price for each step of weight begun beyond
the first weight. Reading needs finance.view; changing, settings.manage too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import (
    acting_actor,
    add_actor_options,
    count,
    emit,
    open_cli_app,
    open_named_file,
)
from core.money import fen_to_yuan_text, yuan_to_fen
from core.reports import rates


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "rates",
        help="carrier rate cards (运费模板) for the shipping-cost report",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    put = verbs.add_parser("set", help="set an account's rate for a province (or every other)")
    put.add_argument("account", metavar="ACCOUNT", help="carrier account name")
    put.add_argument("--province", default="", help="default: every province without its own")
    put.add_argument("--first-weight", type=count, default=1000, metavar="GRAMS")
    put.add_argument("--first", required=True, metavar="YUAN", help="首重 price")
    put.add_argument("--step-weight", type=count, default=1000, metavar="GRAMS")
    put.add_argument("--step", required=True, metavar="YUAN", help="续重 price per step")
    put.set_defaults(handler=_set)
    imported = verbs.add_parser("import", help="set rates from CSV/XLSX")
    imported.add_argument("file", metavar="FILE")
    imported.set_defaults(handler=_import)
    verbs.add_parser("list", help="every rate").set_defaults(handler=_list)
    gone = verbs.add_parser("delete", help="remove an account's rate for a province")
    gone.add_argument("account", metavar="ACCOUNT")
    gone.add_argument("--province", default="")
    gone.set_defaults(handler=_delete)
    for p in verbs.choices.values():
        add_actor_options(p)


def _set(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    rate = rates.set_rate(
        app,
        acting_actor(app, args),
        args.account,
        province=args.province,
        first_weight_g=args.first_weight,
        first_fen=yuan_to_fen(args.first, field="first"),
        step_weight_g=args.step_weight,
        step_fen=yuan_to_fen(args.step, field="step"),
    )
    _emit(args, [rate])
    return 0


def _import(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    with open_named_file(args.file) as stream:
        stored = rates.import_rates(app, acting_actor(app, args), stream, Path(args.file).name)
    emit(args, {"rates": stored}, [(stored,)], ("RATES SET",))
    return 0


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _emit(args, rates.list_rates(app, acting_actor(app, args)))
    return 0


def _delete(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    rates.delete_rate(app, acting_actor(app, args), args.account, province=args.province)
    emit(args, {"deleted": args.account, "province": args.province})
    return 0


def _emit(args: argparse.Namespace, found: list[rates.Rate]) -> None:
    data = [
        {
            "account": r.account,
            "province": r.province,
            "first_weight_g": r.first_weight_g,
            "first_fen": r.first_fen,
            "step_weight_g": r.step_weight_g,
            "step_fen": r.step_fen,
        }
        for r in found
    ]
    rows = [
        (
            r.account,
            r.province or "(其他 every other)",
            r.first_weight_g,
            fen_to_yuan_text(r.first_fen),
            r.step_weight_g,
            fen_to_yuan_text(r.step_fen),
        )
        for r in found
    ]
    headers = ("ACCOUNT", "PROVINCE", "FIRST G", "FIRST ¥", "STEP G", "STEP ¥")
    emit(args, data, rows, headers)
