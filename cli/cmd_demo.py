"""`orderhub demo [--headless] [--orders N] [--keep-running]` — the whole product in one command.

On a fresh installation (ORDERHUB_DATA_DIR / ORDERHUB_CONFIG, SQLite unless
ORDERHUB_DATABASE_URL says otherwise) it runs what a merchant would, step by step:

  1. start the Pinduoduo sandbox gateway on a loopback port with N seeded orders, and write
     `[platforms.pinduoduo]` into the config file so later commands reach it too;
  2. `init`: org `demo`, admin `admin` with a generated password, printed once;
  3. bind the sandbox's demo shop through the real OAuth flow (the consent page of the
     sandbox approves at once, as `orderhub shop bind --follow` does);
  4. sync its orders; add a carrier account on the shop's e-waybill subscription
     (`pinduoduo-waybill`, 圆通) and a `file` printer that writes PDF labels into
     DATA_DIR/labels/;
  5. on a terminal: sign in as the admin and open the terminal UI on the order desk, where
     the operator filters, selects and prints (`cli.demo_tui`); quitting it (Ctrl-Q) stops
     the sandbox and leaves nothing running. With --headless, or when stdin or stdout is
     not a terminal (scripts, CI): print a batch of the awaiting-shipment orders instead —
     waybills drawn, labels rendered — and exit.

Sandbox orders carry the platform's ciphertext receivers; labels that orderhub renders
itself print the platform's masked copies (only the platform's print component can open
the ciphertext), so the demo's labels show masked receivers.

Without --keep-running the sandbox stops at the end (when the UI closes); its world is kept in
DATA_DIR/sandbox-state.json, and `orderhub sandbox --port PORT --state-file` (the command
is printed) brings it back so `orderhub sync` and `orderhub print` keep working.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import demo_stock, demo_tui
from cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    SANDBOX_STATE_FILE,
    cli_actor,
    settings_from,
    wait_for_signal,
)
from cli.oauth_callback import CallbackListener, follow_consent_page
from core import clock
from core.actor import Actor
from core.app import App
from core.config import default_config_path, load_settings
from core.contracts import Contact
from core.errors import ConfigurationError, ExternalError, OrderhubError
from core.installation import generate_password, initialise
from core.printing import selection
from core.printing.jobs import create_job
from core.printing.lease import new_owner
from core.printing.printers import add_printer
from core.printing.runner import run_job
from core.shops import binding as shops
from core.startup import open_app
from core.sync.scheduler import sync_shop
from core.waybills import carrier_accounts
from tui.i18n import LANGUAGES

ORG, ADMIN = "demo", "admin"
PRINTER, ACCOUNT = "demo-pdf", "demo-圆通"
SENDER = Contact(name="王仓管", phone="13800138000", province="", city="", district="", address="")
BIND_TIMEOUT = 30  # seconds; the sandbox redirects at once
HEADLESS_PRINT = 20  # labels a headless run prints when --print is not given


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo",
        help="a fresh demo installation: sandbox shop, sync, waybills, PDF labels",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--orders", type=int, default=300, help="seeded sandbox orders (default %(default)s)"
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no terminal UI: print a batch of labels and exit (the default off a terminal)",
    )
    parser.add_argument(
        "--print",
        dest="print_limit",
        type=int,
        default=None,
        metavar="N",
        help=f"labels to print before exiting (default {HEADLESS_PRINT} with --headless; "
        "none before the UI opens)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="language of the UI (default: the user's choice, `orderhub user language`, else zh)",
    )
    parser.add_argument("--port", type=int, default=0, help="sandbox port (default: a free one)")
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="keep the sandbox running after the demo, until Ctrl-C",
    )
    parser.set_defaults(handler=run)


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


def run(args: argparse.Namespace) -> int:
    # Imported here: the sandbox pulls in uvicorn, which other commands never need.
    from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer

    if not 1 <= args.orders <= 100_000 or (args.print_limit is not None and args.print_limit < 0):
        print("orderhub: error: --orders must be 1 to 100000 and --print ≥ 0", file=sys.stderr)
        return EXIT_USAGE
    args.tui = not args.headless and demo_tui.interactive()
    if not args.headless and not args.tui:
        print(
            "orderhub demo: not on a terminal (stdin or stdout redirected): running headless, "
            "as --headless does",
            file=sys.stderr,
            flush=True,
        )
    if args.print_limit is None:
        args.print_limit = 0 if args.tui else HEADLESS_PRINT
    config_path = Path(args.config) if args.config else default_config_path()
    if config_path.exists():
        raise ConfigurationError(
            f"the config file {config_path} exists: the demo needs a fresh installation; "
            "point ORDERHUB_CONFIG and ORDERHUB_DATA_DIR at an empty place"
        )
    data_dir = settings_from(args).data_dir
    state_file = data_dir / SANDBOX_STATE_FILE
    _step(f"starting the Pinduoduo sandbox gateway ({args.orders} seeded orders)")
    sandbox = SandboxServer(
        SandboxConfig(
            shops=1,
            orders=args.orders,
            history_days=2.0,
            state_file=state_file,
            new_orders_per_hour=30.0,
            updates_per_hour=60.0,
        ),
        port=args.port,
        prerender=True,
    )
    try:
        sandbox.start()
    except OSError as exc:
        raise ConfigurationError(f"sandbox: cannot listen on port {args.port}: {exc}") from exc
    try:
        _write_config(config_path, sandbox.client_settings())
        print(f"    {sandbox.url}; [platforms.pinduoduo] written to {config_path}")
        code = _demo(args, load_settings(config_path), sandbox.port, data_dir)
        if args.keep_running and code == EXIT_OK:
            print(f"\nThe sandbox keeps running on {sandbox.url}; Ctrl-C stops it.", flush=True)
            wait_for_signal()
            print("sandbox stopped", file=sys.stderr)
        return code
    finally:
        sandbox.stop()


def _write_config(path: Path, platform: dict[str, str]) -> None:
    """A new config file holding only the platform table; TOML strings via repr-safe quoting."""
    lines = [
        "# Written by `orderhub demo`: the Pinduoduo plugin points at the sandbox.",
        "[platforms.pinduoduo]",
    ]
    for key, value in platform.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key} = "{escaped}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as out:  # never overwrite a file made meanwhile
        out.write("\n".join(lines) + "\n")


def _demo(args: argparse.Namespace, settings, port: int, data_dir: Path) -> int:  # type: ignore[no-untyped-def]
    _step(f"orderhub init (org {ORG!r}, admin {ADMIN!r}) in {data_dir}")
    password = generate_password(ADMIN, settings.auth)
    report = initialise(
        settings, org_name=ORG, admin_username=ADMIN, password_for=lambda _user: password
    )
    if report.already_initialised:
        raise ConfigurationError(
            f"the database {report.database_url} already holds org(s) "
            f"{', '.join(report.existing_orgs)}: the demo needs a fresh installation"
        )
    print(f"    database {report.database_url}; admin password (shown once): {password}")
    app = open_app(settings)
    try:
        actor = cli_actor(app, ORG)
        code = _flow(app, actor, args, port, data_dir)
        if code == EXIT_OK and args.tui:
            _step(f"signing in as {ADMIN!r}; the order desk opens (Ctrl-Q quits the demo)")
            demo_tui.open_desk(app, ADMIN, password, lang=args.lang)
            _after_ui(data_dir / "labels", port, args)
        return code
    finally:
        app.close()


def _flow(app: App, actor: Actor, args: argparse.Namespace, port: int, data_dir: Path) -> int:
    _step("binding the sandbox's demo shop through its OAuth consent page")
    shop = _bind(app, actor)
    print(f"    shop {shop.id}: {shop.name} ({shop.platform_shop_id})")

    house, pieces = demo_stock.WAREHOUSE, demo_stock.PER_SKU
    _step(f"stocking {house}: a SKU for each of its goods, {pieces} of each")
    print(f"    {demo_stock.stock_demo(app, actor)} SKUs received")

    _step("syncing its orders")
    synced = sync_shop(app, actor, shop.id)
    if synced.status != "ok":
        print(f"orderhub: error: sync {synced.status}: {synced.error}", file=sys.stderr)
        return EXIT_ERROR
    print(f"    {synced.seen} orders seen in {len(synced.windows)} window(s), {synced.new} new")

    _step("adding a carrier account (圆通 via the shop's e-waybill subscription)")
    account = carrier_accounts.create_account(
        app,
        actor,
        name=ACCOUNT,
        carrier="pinduoduo-waybill",
        wp_code="YTO",
        sender=SENDER,
        shop_id=shop.id,
    )
    print(f"    {account.name}: branch {account.branch_name or account.branch_code}")

    labels = data_dir / "labels"
    _step(f"adding a file printer writing PDF labels into {labels}")
    add_printer(
        app,
        actor,
        name=PRINTER,
        driver="file",
        language="pdf",
        settings={"folder": str(labels), "create": True},
    )

    if not args.print_limit:
        return EXIT_OK  # the operator prints from the order desk
    _step(f"printing up to {args.print_limit} awaiting-shipment orders")
    with app.tx() as session:
        order_ids = selection.select_order_ids(session, actor, f"limit={args.print_limit}")
    # One PDF file per label (`pdf_chunk`), so the folder shows what a printer would get.
    runner = new_owner()  # printed here, not by a worker
    job = create_job(
        app,
        actor,
        order_ids,
        [PRINTER],
        carrier_account=ACCOUNT,
        options={"pdf_chunk": 1},
        runner=runner,
    )
    if job.refused:
        first = job.refused[0]
        print(f"    {len(job.refused)} order(s) left out, e.g. {first.what}: {first.reason}")
    result = run_job(app, actor, job.job_id, owner=runner)
    pdfs = sorted(p for p in labels.glob("*.pdf") if not p.name.startswith("."))
    _summary(shop.id, synced.seen, job, result, labels, pdfs, port, args)
    return EXIT_OK if result.status == "done" else EXIT_ERROR


def _bind(app: App, actor: Actor) -> shops.ShopInfo:
    """The real OAuth code flow: state, consent page, redirect to a loopback listener."""
    listener = CallbackListener(
        lambda code, state: (shops.complete_authorization(app, code, state), "")
    )
    try:
        start = shops.start_authorization(app, actor, "pinduoduo", listener.redirect_uri)
        listener.start(start.state)
        follow_consent_page(start.url, listener, None)
        if not listener.wait(BIND_TIMEOUT):
            raise ExternalError("the sandbox's consent page did not redirect back", retryable=True)
    finally:
        listener.close()
    if listener.outcome.error is not None:
        error = listener.outcome.error
        raise error if isinstance(error, OrderhubError) else OrderhubError(f"binding: {error}")
    return listener.outcome.result  # type: ignore[return-value]


def _summary(shop_id, seen, job, result, labels, pdfs, port, args) -> None:  # type: ignore[no-untyped-def]
    waybills = result.done + result.failed + result.uncertain
    print()
    print("orderhub demo: done" if result.status == "done" else f"orderhub demo: {result.status}")
    print(f"  orders synced:   {seen} (shop {shop_id})")
    print(f"  waybills:        {job.allocated} drawn for print job {job.job_id} ({waybills} items)")
    print(
        f"  labels printed:  {result.done} of {result.total}"
        + (f" ({result.error})" if result.error else "")
    )
    print(f"  PDF files:       {len(pdfs)} in {labels}")
    print("  receivers:       masked (sandbox orders carry platform ciphertext; see docs/guide.md)")
    print(f"  at:              {clock.local_text(clock.now())} (Beijing time)")
    _look_further(port, args)


def _look_further(port: int, args: argparse.Namespace, *first: str) -> None:
    print("\nLook further (with the same ORDERHUB_DATA_DIR and ORDERHUB_CONFIG):")
    for command in (
        *first,
        "orderhub status",
        "orderhub shop list",
        "orderhub print history",
        "orderhub waybill list",
        "orderhub print jobs",
    ):
        print(f"  {command}")
    if not args.keep_running:
        print("To sync and print more, bring the sandbox back first (its world is kept):")
        print(f"  orderhub sandbox --port {port} --state-file")
    sys.stdout.flush()


def _after_ui(labels: Path, port: int, args: argparse.Namespace) -> None:
    """What the operator left behind, once the UI has closed."""
    pdfs = [p for p in labels.glob("*.pdf") if not p.name.startswith(".")]
    print("\norderhub demo: the terminal UI closed")
    print(f"  PDF files:       {len(pdfs)} in {labels}")
    _look_further(port, args, f"orderhub tui --as {ADMIN}")
