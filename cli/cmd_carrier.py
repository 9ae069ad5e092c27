"""`orderhub carrier list|add|subscriptions` — carrier accounts (面单账号).

An account names a carrier plugin (`pinduoduo-waybill` draws on a bound shop's Pinduoduo
waybill subscription; `manual` takes numbers typed or scanned), the carrier code
(`--wp-code YTO`), the branch and the sender printed on labels. `subscriptions` shows what
a shop may draw from — carriers, branches, remaining balance and shipping addresses —
before or after an account exists.
"""

from __future__ import annotations

import argparse

from cli.common import add_json_option, add_org_option, cli_actor, emit, open_cli_app, record_id
from core import clock
from core.contracts import Contact
from core.waybills import carrier_accounts
from core.waybills.carrier_accounts import AccountInfo


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("carrier", help="carrier accounts for e-waybills (面单账号)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    lst = verbs.add_parser("list", help="list the org's carrier accounts")
    lst.set_defaults(handler=_list)

    add = verbs.add_parser(
        "add",
        help="add a carrier account",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("name", help="a name for the account, e.g. 圆通-杭州")
    add.add_argument("--carrier", required=True, help="carrier plugin: pinduoduo-waybill, manual")
    add.add_argument("--wp-code", required=True, help="carrier code: YTO, ZTO, YUNDA, JTSD, SF …")
    add.add_argument("--shop", type=record_id, help="the shop whose waybill subscription is used")
    add.add_argument("--platform", default="", help="platform for ship-back (default: shop's)")
    add.add_argument("--branch", default="", help="branch code (needed when there are several)")
    add.add_argument("--sender-name", required=True)
    add.add_argument("--sender-phone", required=True)
    for part in ("province", "city", "district", "town"):
        add.add_argument(f"--sender-{part}", default="")
    add.add_argument("--sender-address", default="", help="street; default: the branch's")
    add.add_argument("--template-url", default="", help="standard template URL (default: 一联单)")
    add.add_argument("--template", default="", help="our label template for own rendering")
    add.add_argument("--logistics-id", default="", help="platform logistics company id")
    add.set_defaults(handler=_add)

    subs = verbs.add_parser("subscriptions", help="carriers, branches, remaining balances")
    subs.add_argument("--account", help="an existing account (name or id)")
    subs.add_argument("--carrier", help="carrier plugin, with --shop (before an account exists)")
    subs.add_argument("--shop", type=record_id)
    subs.add_argument("--wp-code", default="")
    subs.set_defaults(handler=_subscriptions)

    for p in verbs.choices.values():
        add_org_option(p)
        add_json_option(p)


def account_data(info: AccountInfo) -> dict[str, object]:
    s = info.sender
    return {
        "id": info.id,
        "name": info.name,
        "carrier": info.carrier,
        "wp_code": info.wp_code,
        "shop_id": info.shop_id,
        "platform": info.platform,
        "logistics_company_id": info.logistics_company_id,
        "logistics_company_name": info.logistics_company_name,
        "branch_code": info.branch_code,
        "branch_name": info.branch_name,
        "sender": {
            "name": s.name,
            "phone": s.phone,
            "province": s.province,
            "city": s.city,
            "district": s.district,
            "town": s.town,
            "address": s.address,
        },
        "template_url": info.template_url,
        "default_template": info.default_template,
        "enabled": info.enabled,
        "created_at": clock.local_text(info.created_at) if info.created_at else None,
    }


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    data = [account_data(a) for a in carrier_accounts.list_accounts(app, cli_actor(app, args.org))]
    rows = [
        (
            d["id"],
            d["name"],
            d["carrier"],
            d["wp_code"],
            d["branch_name"] or d["branch_code"],
            d["logistics_company_id"],
            d["sender"]["name"],
        )  # type: ignore[index]
        for d in data
    ]
    emit(args, data, rows, ("ID", "NAME", "CARRIER", "CODE", "BRANCH", "LOGISTICS ID", "SENDER"))
    return 0


def _add(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    sender = Contact(
        name=args.sender_name,
        phone=args.sender_phone,
        province=args.sender_province,
        city=args.sender_city,
        district=args.sender_district,
        address=args.sender_address,
        town=args.sender_town,
    )
    info = carrier_accounts.create_account(
        app,
        cli_actor(app, args.org),
        name=args.name,
        carrier=args.carrier,
        wp_code=args.wp_code,
        sender=sender,
        shop_id=args.shop,
        platform=args.platform,
        branch_code=args.branch,
        template_url=args.template_url,
        default_template=args.template,
        logistics_company_id=args.logistics_id,
    )
    emit(args, account_data(info))
    return 0


def _subscriptions(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = carrier_accounts.subscriptions(
        app,
        cli_actor(app, args.org),
        carrier=args.carrier,
        shop_id=args.shop,
        account=args.account,
        wp_code=args.wp_code,
    )
    data = [
        {
            "wp_code": s.carrier_code,
            "branch_code": s.branch_code,
            "branch_name": s.branch_name,
            "remaining": s.remaining,
            "addresses": [
                f"{a.province}{a.city}{a.district}{a.town}{a.address}" for a in s.sender_addresses
            ],
        }
        for s in found
    ]
    rows = [
        (
            d["wp_code"],
            d["branch_code"],
            d["branch_name"],
            "-" if d["remaining"] is None else d["remaining"],
            "; ".join(d["addresses"]),
        )  # type: ignore[arg-type]
        for d in data
    ]
    emit(args, data, rows, ("CODE", "BRANCH", "NAME", "REMAINING", "SHIPPING ADDRESS"))
    return 0
