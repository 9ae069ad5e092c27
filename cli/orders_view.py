"""`orderhub orders list|count|show|filters` — looking at orders (订单筛选, 常用筛选).

    orderhub orders list status:audited province:浙江省 paid:>2026-11-01 tag:紧急
    orderhub orders list exception                 # a tab name first: that tab
    orderhub orders list on-hold --limit 50
    orderhub orders list "status:pending -flag:red" --after CURSOR
    orderhub orders list --saved 广东急单
    orderhub orders count shop:旗舰店              # orders in each tab
    orderhub orders show 261120-01 [--reveal]       # --reveal needs pii.view (audited)
    orderhub orders filters save 广东急单 "status:audited province:广东省" --shared --as alice
    orderhub orders filters list | delete NAME | rename NAME NEW | share NAME | unshare NAME

The filter language is documented in docs/guide.md (`core.desk.query`). A term starting
with "-" is taken for an option by the shell's argument parser: quote the whole filter as
one word ("status:audited -flag:red") or put `--` before the terms.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from cli.common import acting_actor, add_actor_options, count, emit, open_cli_app
from core import clock
from core.desk import saved_filters, search
from core.desk.listing import OrderRow
from core.desk.query import TAB_ALIASES, TABS
from core.desk.show import OrderDetail, show_order
from core.money import fen_to_yuan_text

TAB_NAMES = {
    "pending": "待审",
    "exception": "异常",
    "audited": "已审",
    "on_hold": "挂起",
    "printed": "已打印",
    "shipped": "已发货",
    "completed": "已签收",
    "cancelled": "已取消",
    "refunded": "已退款",
}


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    lister = verbs.add_parser("list", help="list orders matching a filter, a page at a time")
    lister.add_argument("query", nargs="*", metavar="TERM", help="filter terms, or a tab first")
    lister.add_argument("--limit", type=count, help="rows per page (default 100, at most 1000)")
    lister.add_argument("--after", metavar="CURSOR", help="the next page (printed after a page)")
    lister.add_argument("--saved", metavar="NAME", help="a saved filter (owner/name if shared)")
    lister.set_defaults(handler=_list)

    counter = verbs.add_parser("count", help="orders in each tab (待审, 异常, 已审 …)")
    counter.add_argument("query", nargs="*", metavar="TERM", help="filter terms")
    counter.set_defaults(handler=_count)

    shower = verbs.add_parser("show", help="one order whole: lines, packages, history, trail")
    shower.add_argument("order_no", metavar="ORDER_NO")
    shower.add_argument("--shop", help="the shop, when two shops share the number")
    shower.add_argument("--reveal", action="store_true", help="receiver in clear (pii.view)")
    shower.set_defaults(handler=_show)

    filters = verbs.add_parser("filters", help="saved filters (常用筛选): save, list, share")
    actions = filters.add_subparsers(dest="action", metavar="ACTION", required=True)
    save = actions.add_parser("save", help="save a filter under a name")
    save.add_argument("name")
    save.add_argument("query", nargs="+", metavar="TERM")
    save.add_argument("--shared", action="store_true", help="show it to the whole org")
    save.set_defaults(handler=_save)
    actions.add_parser("list", help="your filters and those shared").set_defaults(handler=_filters)
    for verb, helptext in (
        ("delete", "delete a filter (owner/name: a shared one, settings.manage)"),
        ("share", "show a filter of yours to the whole org"),
        ("unshare", "make a filter of yours private again"),
    ):
        action = actions.add_parser(verb, help=helptext)
        action.add_argument("name")
        action.set_defaults(handler=_filter_action, verb_name=verb)
    rename = actions.add_parser("rename", help="rename a filter of yours")
    rename.add_argument("name")
    rename.add_argument("new_name")
    rename.set_defaults(handler=_rename)

    for parser in (lister, counter, shower, *actions.choices.values()):
        add_actor_options(parser)


def query_text(words: list[str]) -> str:
    """The filter typed as words; a tab name (or its Chinese name) first means that tab."""
    words = list(words)
    if words:
        first = words[0].strip().lower()
        tab = TAB_ALIASES.get(first, first.replace("-", "_"))
        if tab in TABS:
            words[0] = f"status:{tab}"
    return " ".join(words)


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    text = query_text(args.query)
    if args.saved:
        saved = saved_filters.filter_query(app, actor, args.saved)
        text = f"{saved} {text}".strip()
    page = search.search_orders(app, actor, text, after=args.after, limit=args.limit)
    data = {
        "query": page.query,
        "rows": [_row_data(r) for r in page.rows],
        "next_cursor": page.next_cursor,
    }
    rows = [
        (
            r.order_no,
            r.shop,
            TAB_NAMES.get(r.tab, r.tab),
            clock.local_text(r.paid_at) if r.paid_at else "-",
            fen_to_yuan_text(r.pay_amount_fen),
            f"{r.receiver_name} {r.receiver_phone}",
            f"{r.province}{r.city}{r.district}",
            ",".join(r.tags),
            r.flag,
            _marks(r),
            r.carrier,
        )
        for r in page.rows
    ]
    headers = ("ORDER", "SHOP", "TAB", "PAID", "AMOUNT", "RECEIVER", "REGION", "TAGS", "FLAG")
    emit(args, data, rows, (*headers, "NOTES", "CARRIER"))
    if not getattr(args, "json", False):
        if not page.rows:
            print(f"no order matches {page.query or 'the empty filter'!r}")
        elif page.next_cursor:
            print(f"more: add --after {page.next_cursor}")
    return 0


def _marks(row: OrderRow) -> str:
    marks = []
    if row.on_hold:
        marks.append("挂起")
    marks += [f"异常:{r}" for r in row.exception_reasons]
    if row.has_memo:
        marks.append("留言")
    if row.has_remark:
        marks.append("备注")
    if row.printed:
        marks.append("已打")
    return " ".join(marks)


def _row_data(row: OrderRow) -> dict[str, Any]:
    data = asdict(row)
    for key in ("created_at", "paid_at", "promised_ship_by"):
        data[key] = clock.local_text(data[key]) if data[key] else None
    return data


def _count(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = search.count_tabs(app, acting_actor(app, args), query_text(args.query))
    data = {**found.counts, "total": found.total}
    rows = [(tab, TAB_NAMES[tab], n) for tab, n in found.counts.items()]
    emit(args, data, [*rows, ("total", "合计", found.total)], ("TAB", "名称", "ORDERS"))
    return 0


def _show(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    detail = show_order(app, actor, args.order_no, shop=args.shop, reveal=args.reveal)
    if getattr(args, "json", False):
        emit(args, asdict(detail))
        return 0
    row, receiver = detail.row, detail.receiver
    print(f"order {row.order_no}  shop {row.shop} ({row.platform}, {row.source})")
    print(
        f"tab {TAB_NAMES.get(row.tab, row.tab)}  hub {row.hub_status}  refund {row.refund_status}"
    )
    for label, at in (("created", row.created_at), ("paid", row.paid_at)):
        print(f"{label} {clock.local_text(at) if at else '-'}", end="  ")
    due = row.promised_ship_by
    print(f"ship by {clock.local_text(due) if due else '-'}")
    print(
        f"amounts: goods {fen_to_yuan_text(row.goods_amount_fen)}  discount "
        f"{fen_to_yuan_text(detail.discount_fen)}  postage {fen_to_yuan_text(detail.postage_fen)}"
        f"  paid {fen_to_yuan_text(row.pay_amount_fen)}"
    )
    shown = "in clear" if receiver.revealed else "masked"
    print(
        f"receiver ({shown}): {receiver.name} {receiver.phone} {receiver.province}"
        f"{receiver.city}{receiver.district} {receiver.address}"
    )
    for label, value in _notes(detail):
        if value:
            print(f"{label}: {value}")
    print("lines:")
    for ln in detail.lines:
        price = fen_to_yuan_text(ln.unit_price_fen)
        goods = f"{ln.title} {ln.spec}".strip()
        print(f"  {ln.line_no}. {goods} × {ln.quantity} @ {price}  sku {ln.sku_id} {ln.outer_id}")
    for package in detail.packages:
        numbers = ", ".join(
            f"{w.number} ({w.carrier_account}, {w.status})" for w in package.waybills
        )
        print(f"package {package.id} [{package.status}] waybills: {numbers or '-'}")
    for item in detail.print_history:
        at = clock.local_text(item.sent_at) if item.sent_at else "-"
        again = f" reprint: {item.reason}" if item.reprint else ""
        print(f"printed {item.kind} job {item.job_id} {item.state} {at} by {item.user}{again}")
    for entry in detail.trail:
        print(f"{clock.local_text(entry.at)} {entry.actor}: {entry.action} {entry.detail}".rstrip())
    return 0


def _notes(detail: OrderDetail) -> list[tuple[str, str]]:
    row = detail.row
    flag = ""
    if row.flag:
        flag = (
            f"{row.flag} (platform {detail.platform_flag or '-'}, local {detail.local_flag or '-'})"
        )
    by = f"by {detail.assigned_by}" if detail.assigned_by else ""
    assigned = " ".join(x for x in (detail.assigned_carrier, detail.assigned_template, by) if x)
    return [
        ("buyer memo", detail.buyer_memo),
        ("seller remark", detail.seller_remark),
        ("local remark", detail.local_remark),
        ("flag", flag),
        ("tags", ", ".join(row.tags)),
        ("on hold", row.hold_reason or "yes" if row.on_hold else ""),
        ("exceptions", ", ".join(row.exception_reasons)),
        ("rejected", detail.reject_reason),
        (
            "audited",
            f"{detail.audited_by or '-'} {clock.local_text(detail.audited_at)}"
            if detail.audited_at
            else "",
        ),
        ("assigned", assigned),
        ("warehouse", detail.warehouse),
    ]


def _save(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    info = saved_filters.save_filter(
        app, acting_actor(app, args), args.name, " ".join(args.query), shared=args.shared
    )
    emit(args, _filter_data(info))
    return 0


def _filters(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = saved_filters.list_filters(app, acting_actor(app, args))
    rows = [
        (f.name if f.mine else f"{f.owner}/{f.name}", f.query, "yes" if f.shared else "")
        for f in found
    ]
    emit(args, [_filter_data(f) for f in found], rows, ("NAME", "FILTER", "SHARED"))
    return 0


def _filter_action(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.verb_name == "delete":
        saved_filters.delete_filter(app, actor, args.name)
        emit(args, {"deleted": args.name})
        return 0
    info = saved_filters.set_shared(app, actor, args.name, args.verb_name == "share")
    emit(args, _filter_data(info))
    return 0


def _rename(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    info = saved_filters.rename_filter(app, acting_actor(app, args), args.name, args.new_name)
    emit(args, _filter_data(info))
    return 0


def _filter_data(info: saved_filters.SavedFilterInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "query": info.query,
        "shared": info.shared,
        "owner": info.owner,
        "mine": info.mine,
        "updated": clock.local_text(info.updated_at),
    }
