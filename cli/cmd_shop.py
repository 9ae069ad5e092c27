"""`orderhub shop list|bind|unbind|set-interval` — connect platform shops (绑定店铺).

`bind --platform pinduoduo` runs the OAuth code flow the way `gcloud auth login` does: a
one-shot listener on 127.0.0.1 (a free port) is the redirect URI; the command prints the
authorisation URL (and opens it with `--open`), waits for the platform's redirect, then
binds the shop. When the browser cannot reach this machine, `--redirect-uri URI` prints
the URL and the state instead, and `bind --code CODE --state STATE` (or
`--callback-url URL`, the address the browser ended on) finishes later.

`--follow` is a sandbox/demo aid: the command fetches the authorisation URL itself and
follows the redirect to its own listener (approving for `--sandbox-shop OWNER_ID`, or the
first demo shop the consent page lists). That only works against a page that approves
without a person — the sandbox gateway's `/service-market/auth` — never the real one.

Like every CLI command this acts as the org's system actor; `--as USER` acts as one of
the org's users instead, so their permissions apply and the audit trail names them.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from urllib.parse import parse_qs, urlsplit

from cli.common import (
    EXIT_USAGE,
    acting_actor,
    add_json_option,
    add_org_option,
    add_token_option,
    count,
    emit,
    open_cli_app,
    record_id,
)
from cli.oauth_callback import CallbackListener, follow_consent_page
from core import clock
from core.actor import Actor
from core.app import App
from core.errors import ExternalError, OrderhubError, ValidationError
from core.shops import binding as shops
from core.shops.binding import ShopInfo

DEFAULT_TIMEOUT = 300  # seconds to wait for the redirect; the state itself lives 10 minutes
MAX_TIMEOUT = 600


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("shop", help="bind, list and unbind platform shops")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    lst = verbs.add_parser("list", help="list the org's shops (tokens are never shown)")
    lst.add_argument("--bound", action="store_true", help="leave out unbound shops")
    lst.set_defaults(handler=_list)

    bind = verbs.add_parser(
        "bind",
        help="bind a shop through the platform's authorisation page",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bind.add_argument("--platform", help="platform plugin name, e.g. pinduoduo")
    bind.add_argument("--open", action="store_true", help="open the URL in a browser")
    bind.add_argument(
        "--follow",
        action="store_true",
        help="sandbox/demo only: fetch the URL and follow its auto-approve redirect",
    )
    bind.add_argument(
        "--sandbox-shop",
        metavar="OWNER_ID",
        help="with --follow: the sandbox demo shop to approve (default: the first listed)",
    )
    bind.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for the redirect (default {DEFAULT_TIMEOUT}, max {MAX_TIMEOUT})",
    )
    bind.add_argument("--port", type=int, default=0, help="listener port (default: a free one)")
    bind.add_argument(
        "--redirect-uri",
        help="no listener: print the URL and state for this redirect URI and exit",
    )
    # Token options: a value starting with "-" (`--state -abc`) is the value, not an option.
    add_token_option(bind, "--code", "finish a binding: the code from the redirect")
    add_token_option(bind, "--state", "finish a binding: the state from the redirect")
    bind.add_argument("--callback-url", help="finish a binding: the full redirect URL")
    bind.set_defaults(handler=_bind)

    unbind = verbs.add_parser("unbind", help="unbind a shop (tokens wiped, orders kept)")
    unbind.add_argument("shop_id", type=record_id)
    unbind.set_defaults(handler=_unbind)

    interval = verbs.add_parser("set-interval", help="set a shop's sync interval / on-off")
    interval.add_argument("shop_id", type=record_id)
    interval.add_argument("minutes", type=count, nargs="?", help="1 to 60")
    switch = interval.add_mutually_exclusive_group()
    switch.add_argument("--enable", dest="enabled", action="store_true", default=None)
    switch.add_argument("--disable", dest="enabled", action="store_false")
    interval.set_defaults(handler=_set_interval)

    for p in verbs.choices.values():
        add_org_option(p)
        add_json_option(p)
        p.add_argument(
            "--as",
            dest="as_user",
            metavar="USER",
            help="act as this user of the org (their permissions; audited under their name)",
        )


def shop_data(shop: ShopInfo) -> dict[str, object]:
    """A shop for output: local times, no credentials (ShopInfo has none)."""

    def when(value: object) -> str | None:
        return clock.local_text(value) if value is not None else None  # type: ignore[arg-type]

    return {
        "id": shop.id,
        "platform": shop.platform,
        "platform_shop_id": shop.platform_shop_id,
        "name": shop.name,
        "status": shop.status,
        "sync_enabled": shop.sync_enabled,
        "sync_interval_minutes": shop.sync_interval_minutes,
        "sync_cursor": when(shop.sync_cursor),
        "next_sync_at": when(shop.next_sync_at),
        "token_expires_at": when(shop.token_expires_at),
        "bound_at": when(shop.bound_at),
        "unbound_at": when(shop.unbound_at),
    }


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    data = [
        shop_data(s)
        for s in shops.list_shops(app, acting_actor(app, args), include_unbound=not args.bound)
    ]
    rows = [
        (
            d["id"],
            d["platform"],
            d["platform_shop_id"],
            d["name"],
            d["status"],
            f"every {d['sync_interval_minutes']} min" if d["sync_enabled"] else "off",
            d["sync_cursor"] or "",
            d["token_expires_at"] or "",
        )
        for d in data
    ]
    headers = ("ID", "PLATFORM", "SHOP ID", "NAME", "STATUS", "SYNC", "SYNCED TO", "TOKEN UNTIL")
    emit(args, data, rows, headers)
    return 0


def _bind(args: argparse.Namespace) -> int:
    finishing = args.code or args.state or args.callback_url
    if finishing:
        code, state = _code_and_state(args)
        app = open_cli_app(args)
        return _bound(args, shops.complete_authorization(app, code, state))
    if not args.platform:
        print("orderhub: error: bind needs --platform (or --code and --state)", file=sys.stderr)
        return EXIT_USAGE
    if not 1 <= args.timeout <= MAX_TIMEOUT:
        print(f"orderhub: error: --timeout must be 1 to {MAX_TIMEOUT}", file=sys.stderr)
        return EXIT_USAGE
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.redirect_uri:
        start = shops.start_authorization(app, actor, args.platform, args.redirect_uri)
        emit(
            args,
            {
                "url": start.url,
                "state": start.state,
                "expires_at": clock.local_text(start.expires_at),
            },
        )
        if not getattr(args, "json", False):
            print(
                "Open the URL; then run `orderhub shop bind --code CODE --state STATE` with the "
                "code and state the platform appends to the redirect URI.",
                file=sys.stderr,
            )
        return 0
    return _bind_with_listener(args, app, actor)


def _bind_with_listener(args: argparse.Namespace, app: App, actor: Actor) -> int:
    def finish(code: str, state: str) -> tuple[ShopInfo, str]:
        shop = shops.complete_authorization(app, code, state)
        return shop, f"orderhub: shop {shop.name} ({shop.platform_shop_id}) is bound."

    listener = CallbackListener(finish, port=args.port)
    try:
        start = shops.start_authorization(app, actor, args.platform, listener.redirect_uri)
        listener.start(start.state)
        print(f"Authorise orderhub for your shop by opening:\n\n  {start.url}\n", file=sys.stderr)
        if args.follow:
            follow_consent_page(start.url, listener, args.sandbox_shop)
        else:
            if args.open:
                webbrowser.open(start.url)
            print(f"Waiting up to {args.timeout} s for the platform's redirect …", file=sys.stderr)
        if not listener.wait(args.timeout):
            raise ExternalError(
                f"no authorisation arrived within {args.timeout} s; run `orderhub shop bind` "
                "again (or use --redirect-uri and --code/--state)",
                retryable=True,
            )
    finally:
        listener.close()
    if listener.outcome.error is not None:
        error = listener.outcome.error
        if isinstance(error, OrderhubError):
            raise error
        raise OrderhubError(f"binding failed: {error}") from error
    return _bound(args, listener.outcome.result)  # type: ignore[arg-type]


def _code_and_state(args: argparse.Namespace) -> tuple[str, str]:
    code, state = args.code or "", args.state or ""
    if args.callback_url:
        params = parse_qs(urlsplit(args.callback_url).query)
        code = code or params.get("code", [""])[0]
        state = state or params.get("state", [""])[0]
    if not code or not state:
        raise ValidationError("finishing a binding needs both the code and the state", field="code")
    return code, state


def _bound(args: argparse.Namespace, shop: ShopInfo) -> int:
    emit(args, shop_data(shop))
    if not getattr(args, "json", False):
        print(f"Shop {shop.id} bound: {shop.name} ({shop.platform})", file=sys.stderr)
    return 0


def _unbind(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    shop = shops.unbind_shop(app, acting_actor(app, args), args.shop_id)
    emit(args, shop_data(shop))
    return 0


def _set_interval(args: argparse.Namespace) -> int:
    if args.minutes is None and args.enabled is None:
        print("orderhub: error: give MINUTES, --enable or --disable", file=sys.stderr)
        return EXIT_USAGE
    app = open_cli_app(args)
    shop = shops.update_sync_settings(
        app,
        acting_actor(app, args),
        args.shop_id,
        interval_minutes=args.minutes,
        enabled=args.enabled,
    )
    emit(args, shop_data(shop))
    return 0
