"""`orderhub sandbox`: run the Pinduoduo sandbox gateway (a double of the real gateway).

It serves Pinduoduo's gateway protocol at http://HOST:PORT/api/router, the merchant
consent page at /service-market/auth and JSON control endpoints at /_sandbox, over
seeded demo shops and orders that keep changing. Point orderhub at it by configuration
alone ([platforms.pinduoduo] gateway_url, auth_url, client_id, client_secret — printed on
start). Runs until Ctrl-C or SIGTERM; with --state-file the sandbox's world (changed
orders, tokens, waybills, clock) survives restarts.

Fault spec (--faults): comma-separated KIND=PROBABILITY[@API|API…] with kinds 500, 502,
503, 52101, 70031, 52103, timeout, malformed; mixed=P spreads P over all of them;
token_expiry=N expires each token after N calls; delay=SECONDS (how long a timeout holds
the answer); seed=N. Example: --faults "mixed=0.2,token_expiry=200,delay=5,seed=7".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlencode

from cli.common import (
    EXIT_OK,
    SANDBOX_STATE_FILE,
    add_json_option,
    settings_from,
    wait_for_signal,
)
from core.errors import ConfigurationError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sandbox",
        help="run the Pinduoduo sandbox gateway (demo shops, orders, faults)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port; 0 picks a free one (default %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the demo world (default %(default)s)"
    )
    parser.add_argument(
        "--orders", type=int, default=300, help="seeded orders over all shops (default %(default)s)"
    )
    parser.add_argument("--shops", type=int, default=2, help="demo shops (default %(default)s)")
    parser.add_argument(
        "--history-days",
        type=float,
        default=7.0,
        help="seeded orders span this many days (default %(default)s)",
    )
    parser.add_argument(
        "--faults", default="", metavar="SPEC", help="fault injection spec (see above)"
    )
    parser.add_argument(
        "--state-file",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help=f"keep state across restarts (default path: DATA_DIR/{SANDBOX_STATE_FILE})",
    )
    parser.add_argument("--client-id", default="sandbox-client-id", help="app client_id to accept")
    parser.add_argument(
        "--client-secret", default="sandbox-client-secret", help="app client_secret to sign with"
    )
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=86_400,
        metavar="SECONDS",
        help="access token lifetime (default %(default)s)",
    )
    parser.add_argument(
        "--new-orders-per-hour",
        type=float,
        default=30.0,
        help="background new orders (default %(default)s)",
    )
    parser.add_argument(
        "--updates-per-hour",
        type=float,
        default=60.0,
        help="background order updates (default %(default)s)",
    )
    parser.add_argument(
        "--move-per-page",
        type=int,
        default=0,
        metavar="N",
        help="change N orders per page while a sync pages (default 0)",
    )
    parser.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="do not enforce the published rate limits (benchmarks)",
    )
    add_json_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the sandbox pulls in uvicorn, which other commands never need.
    from plugins.platforms.pinduoduo.sandbox import FaultSpec, SandboxConfig, SandboxServer
    from plugins.platforms.pinduoduo.sandbox.persist import StateFileError

    state_file = None
    if args.state_file is not None:
        state_file = Path(args.state_file) if args.state_file else _default_state_file(args)
    try:
        config = SandboxConfig(
            client_id=args.client_id,
            client_secret=args.client_secret,
            seed=args.seed,
            shops=args.shops,
            orders=args.orders,
            history_days=args.history_days,
            token_ttl=args.token_ttl,
            rate_limits=not args.no_rate_limits,
            faults=FaultSpec.parse(args.faults),
            mutate_per_page=args.move_per_page,
            new_orders_per_hour=args.new_orders_per_hour,
            updates_per_hour=args.updates_per_hour,
            state_file=state_file,
        )
        server = SandboxServer(config, host=args.host, port=args.port, prerender=True)
        server.start()
    except (ValueError, StateFileError) as exc:
        raise ConfigurationError(f"sandbox: {exc}") from exc
    except OSError as exc:
        raise ConfigurationError(
            f"sandbox: cannot listen on {args.host}:{args.port}: {exc}"
        ) from exc
    try:
        _announce(args, server)
        wait_for_signal()
        print("sandbox stopped", file=sys.stderr)
    finally:
        server.stop()
    return EXIT_OK


def _default_state_file(args: argparse.Namespace) -> Path:
    return settings_from(args).data_dir / SANDBOX_STATE_FILE


def _announce(args: argparse.Namespace, server) -> None:
    sandbox = server.sandbox
    example = f"{server.auth_url}?" + urlencode(
        {
            "response_type": "code",
            "client_id": server.config.client_id,
            "redirect_uri": "<your callback URL>",
            "state": "<state>",
        }
    )
    info = {
        **server.client_settings(),
        "url": server.url,
        "control_url": server.control_url,
        "authorize_example": example,
        "shops": [{"owner_id": s.owner_id, "owner_name": s.owner_name} for s in sandbox.shops],
        "orders": len(sandbox.store),
        "seed": sandbox.config.seed,
        "state_file": str(server.config.state_file) if server.config.state_file else None,
        "resumed": server.resumed,
    }
    if getattr(args, "json", False):
        print(json.dumps(info, ensure_ascii=False), flush=True)
        return
    shops = ", ".join(f"{s['owner_id']} {s['owner_name']}" for s in info["shops"])
    resumed = " (resumed)" if server.resumed else ""
    print(f"Pinduoduo sandbox gateway on {server.url}")
    print(f"  gateway URL:    {server.gateway_url}")
    print(f"  authorize URL:  {server.auth_url}")
    print(f"  client_id:      {server.config.client_id}")
    print(f"  client_secret:  {server.config.client_secret}")
    print(f"  control:        {server.control_url}")
    print(f"  shops:          {shops}")
    print(f"  orders:         {info['orders']} (seed {info['seed']})")
    print(f"  state file:     {info['state_file'] or '-'}{resumed}")
    print("\nConfigure orderhub (orderhub.toml):\n  [platforms.pinduoduo]")
    for key in ("client_id", "client_secret", "gateway_url", "auth_url"):
        print(f'  {key} = "{info[key]}"')
    print(f"\nAuthorize a shop at:\n  {example}")
    print("  (add &owner_id=<shop> to approve at once; without it a page lists the shops)")
    print("\nCtrl-C stops the sandbox.", flush=True)
