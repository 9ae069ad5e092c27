"""`orderhub pack` — the pack station (扫描验货): scan a waybill, then every item.

Reads scans from standard input, one per line (a barcode scanner types a burst of
characters and Enter), and answers each with one short line, Chinese then English:

  scan the waybill → the package's items and counts, or a loud refusal (拦截: on hold,
                     with the reason; cancelled; already shipped) before any item;
  scan each item   → its count; a wrong item or one too many is refused;
  the last item    → the package is verified (验货完成).

Scanning another waybill leaves a half-scanned package unverified (said so). An empty
line or the end of input stops. `--json` prints one JSON object per scan.

  orderhub pack settings                          # show "shipping requires verification"
  orderhub pack settings --require-verification on|off
"""

from __future__ import annotations

import argparse
import json
import sys

from cli.common import EXIT_ERROR, acting_actor, add_actor_options, emit, open_cli_app
from core.errors import OrderhubError
from core.shipping.pack_station import PackAnswer, open_station
from core.shipping.settings import show_settings, update_settings

#: Terminal bell before a loud refusal: the operator is looking at the parcel, not the screen.
BELL = "\a"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "pack",
        help="pack station: scan a waybill, then its items (扫描验货)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_actor_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no terminal bell on refusals")
    parser.set_defaults(handler=_station)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    settings = verbs.add_parser("settings", help="show or change the shipping settings")
    settings.add_argument(
        "--require-verification",
        choices=("on", "off"),
        help="ship-back confirms only verified packages",
    )
    add_actor_options(settings)
    settings.set_defaults(handler=_settings)


def _answer_data(answer: PackAnswer) -> dict[str, object]:
    return {
        "ok": answer.ok,
        "kind": answer.kind,
        "loud": answer.loud,
        "message": answer.message,
        "package_id": answer.package_id,
        "waybill": answer.waybill,
        "orders": list(answer.order_numbers),
        "items": [
            {"code": i.code, "title": i.title, "expected": i.expected, "scanned": i.scanned}
            for i in answer.items
        ],
        "abandoned": answer.abandoned,
    }


def _station(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    station = open_station(app, actor)
    as_json = getattr(args, "json", False)
    if not as_json:
        print("验货台 · 扫快递单，再扫商品；空行结束 / scan a waybill, then its items", flush=True)
    refused = 0
    for line in sys.stdin:
        if not line.strip():
            break
        try:
            answer = station.scan(line)
        except OrderhubError as exc:  # e.g. the permission was taken away meanwhile
            answer = PackAnswer(False, "error", f"✗ {exc}", loud=True)
        refused += 0 if answer.ok else 1
        if as_json:
            print(json.dumps(_answer_data(answer), ensure_ascii=False), flush=True)
            continue
        bell = BELL if answer.loud and not args.quiet and sys.stdout.isatty() else ""
        print(bell + answer.message, flush=True)
        if answer.kind == "package" and answer.ok:
            for item in answer.items:
                spec = f" {item.spec}" if item.spec else ""
                print(f"    {item.code}  ×{item.expected}  {item.title}{spec}", flush=True)
    left = station.abandon()
    summary = f"{station.verified} verified, {refused} refused"
    if left is not None:
        summary += f", package {left} left unverified"
    print(f"验货结束 / done: {summary}", file=sys.stderr)
    return 0 if left is None else EXIT_ERROR


def _settings(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.require_verification is None:
        current = show_settings(app, actor)
    else:
        current = update_settings(
            app, actor, require_verification=args.require_verification == "on"
        )
    data = {"require_verification": current.require_verification}
    if getattr(args, "json", False):
        emit(args, data)
    else:
        state = "on" if current.require_verification else "off"
        print(f"发货前必须验货 / shipping requires verification: {state}")
    return 0
