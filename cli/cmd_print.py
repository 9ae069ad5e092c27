"""`orderhub print` — print labels, packing slips and pick lists in batches (打单).

    orderhub print --orders 261120-01 261120-02 --printer 仓库一号
    orderhub print --filter "status:audited shop:旗舰店 limit:500" --printer A --printer B
    orderhub print --orders 261120-01 --printer A --reprint --reason "label torn"
    orderhub print --filter "printed=yes paid_from=2026-11-20" --printer A --kind pick_list
    orderhub print resume 42          # after a printer failure, a crash or Ctrl-C
    orderhub print resolve 42 --skip  # uncertain labels: they did print
    orderhub print resolve 42 --reprint --reason "not out of the printer"
    orderhub print jobs | show 42 | pause 42 | cancel 42
    orderhub print history --order 261120-01 | --waybill YT… | --user alice | --since 2026-11-20

A batch packs the orders, draws missing waybills (`--carrier ACCOUNT` when the org has
several), then prints in order, one thread per printer; the job is stored, so `resume`
continues with exactly the unfinished labels. A label already printed is refused unless
`--reprint --reason …` (needs print.reprint; audited); `--new-waybill` cancels the old
waybill and prints a new one. `--filter` speaks the order desk's filter language (as
`orderhub orders list`; docs/guide.md), and the older `status=audited limit=200` form.

While it runs, a progress bar on stderr follows the waybills drawn and then the items
printed, with the rate and the time left (a line each 10 % when stderr is not a terminal;
none with `--json` or `--quiet`); failures are written as they happen.

Exit status: 0 when the job is done, 1 on an error or failed items, 3 when the job is
paused (a printer failed, labels are uncertain, or it was paused): fix, then `resume`.
"""

from __future__ import annotations

import argparse
import sys

from cli import print_records
from cli.common import (
    EXIT_ERROR,
    acting_actor,
    add_actor_options,
    count,
    emit,
    file_path,
    open_cli_app,
    record_id,
)
from cli.progress import ProgressEvents, progress_for
from core.app import App
from core.errors import ValidationError
from core.orders import packages
from core.printing import selection
from core.printing.jobs import create_job
from core.printing.lease import new_owner
from core.printing.progress import ProgressEvent
from core.printing.reprint import resolve_uncertain
from core.printing.runner import cancel_job, pause_job, run_job, settle_crashed
from core.runtime.progress import Progress

EXIT_PAUSED = 3
#: What the progress counts, by job kind.
UNITS = {"label": "labels", "packing_slip": "slips", "pick_list": "pick lists"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "print",
        help="print labels, slips and pick lists in batches; resume, reprint, history",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--orders", nargs="+", metavar="ORDER_NO", help="platform order numbers")
    target.add_argument("--filter", metavar="TERMS", help='e.g. "status:audited limit:200"')
    parser.add_argument("--printer", action="append", default=[], metavar="NAME")
    parser.add_argument("--template", help="template name (default: by kind and media)")
    parser.add_argument(
        "--kind",
        default="label",
        type=lambda text: text.strip().replace("-", "_"),
        choices=("label", "packing_slip", "pick_list", "product_label"),
        help="label, packing-slip, pick-list, or product-label (商品标签: one per unit)",
    )
    parser.add_argument(
        "--carrier",
        metavar="ACCOUNT",
        help="carrier account for new waybills (default: the one the orders were assigned)",
    )
    parser.add_argument("--reprint", action="store_true", help="print printed labels again")
    parser.add_argument("--new-waybill", action="store_true", help="reprint on a new waybill")
    parser.add_argument("--reason", default="", help="why (required with --reprint)")
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="create the job and leave it queued (a running `orderhub worker` prints it)",
    )
    _common(parser)
    parser.set_defaults(handler=_print)

    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    resume = verbs.add_parser("resume", help="continue a job from its first unfinished item")
    resume.add_argument("job", type=record_id)
    resume.add_argument("--no-retry-failed", action="store_true", help="leave failed items")
    resume.set_defaults(handler=_resume)

    resolve = verbs.add_parser("resolve", help="settle uncertain labels: skip or reprint")
    resolve.add_argument("job", type=record_id)
    choice = resolve.add_mutually_exclusive_group(required=True)
    choice.add_argument("--skip", action="store_true", help="they printed: do not send again")
    choice.add_argument("--reprint", action="store_true", help="send them again (audited)")
    resolve.add_argument("--reason", default="")
    resolve.add_argument("--positions", type=_positions, help="e.g. 3,17 (default: all)")
    resolve.set_defaults(handler=_resolve)

    jobs = verbs.add_parser("jobs", help="list print jobs, newest first")
    jobs.add_argument("--status")
    jobs.add_argument("--limit", type=count, default=20)
    jobs.set_defaults(handler=print_records.list_jobs)

    show = verbs.add_parser("show", help="a job's items")
    show.add_argument("job", type=record_id)
    show.add_argument("--state", action="append", default=[], help="only items in this state")
    show.add_argument("--limit", type=count, default=200)
    show.set_defaults(handler=print_records.show_job)

    for verb, helptext in (("pause", "stop after the current label"), ("cancel", "cancel")):
        action = verbs.add_parser(verb, help=helptext)
        action.add_argument("job", type=record_id)
        action.set_defaults(handler=_pause if verb == "pause" else _cancel)

    hist = verbs.add_parser("history", help="print history (底单) by order, waybill, user, time")
    hist.add_argument("--order")
    hist.add_argument("--waybill")
    hist.add_argument("--user")
    hist.add_argument("--since", type=print_records.when, help="YYYY-MM-DD or ISO time (Beijing)")
    hist.add_argument("--until", type=print_records.when, help="YYYY-MM-DD (inclusive) or ISO time")
    hist.add_argument("--limit", type=count, default=100)
    hist.set_defaults(handler=print_records.history)

    tpl = verbs.add_parser("templates", help="list templates; import or export one")
    tpl.add_argument("--import", dest="import_file", type=file_path, metavar="FILE")
    tpl.add_argument("--name", default="", help="with --import: store under this name")
    tpl.add_argument("--export", metavar="NAME")
    tpl.add_argument("--version", type=record_id, help="with --export: that version")
    tpl.set_defaults(handler=print_records.templates)

    for p in verbs.choices.values():
        _common(p)


def _common(parser: argparse.ArgumentParser) -> None:
    add_actor_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--render-processes",
        type=count,
        metavar="N",
        help="render on N worker processes (default: one per spare core; 0: in this one)",
    )


# ---------------------------------------------------------------- printing


def _print(args: argparse.Namespace) -> int:
    if not args.orders and not args.filter:
        raise ValidationError("name the orders: --orders N … or --filter TERMS")
    if not args.printer:
        raise ValidationError("name a printer: --printer NAME (see `orderhub printers list`)")
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.orders:
        order_ids = list(packages.packages_for_orders(app, actor, args.orders).values())
    else:
        with app.tx() as session:
            order_ids = selection.select_order_ids(session, actor, args.filter)
        if not order_ids:
            raise ValidationError(f"no order matches the filter {args.filter!r}")
    runner = None if args.no_run else new_owner()  # no worker takes it before we run it
    with progress_for(args) as progress:
        job = create_job(
            app,
            actor,
            order_ids,
            args.printer,
            kind=args.kind,
            template=args.template,
            carrier_account=args.carrier,
            reprint=args.reprint,
            reason=args.reason,
            new_waybill=args.new_waybill,
            progress=progress,
            runner=runner,
        )
        for refusal in job.refused:
            _note(args, f"left out {refusal.what}: {refusal.reason}")
        for warning in job.warnings:
            _note(args, f"warning: {warning}")
        _note(
            args,
            f"job {job.job_id}: {job.total} {job.kind} item(s) on {', '.join(job.printers)} "
            f"({job.template}; {job.allocated} waybill(s) drawn)",
        )
        if args.no_run:
            emit(
                args,
                {
                    "job": job.job_id,
                    "status": "queued",
                    "total": job.total,
                    "refused": [r.__dict__ for r in job.refused],
                },
            )
            return 0
        unit = UNITS.get(job.kind, "labels")
        return _run(
            app, args, actor, job.job_id, progress, unit, refused=len(job.refused), owner=runner
        )


def _resume(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    with progress_for(args) as progress:
        retry = not args.no_retry_failed
        return _run(app, args, actor, args.job, progress, "items", retry_failed=retry)


def _run(  # type: ignore[no-untyped-def]
    app: App,
    args,
    actor,
    job_id: int,
    progress: Progress,
    unit: str,
    *,
    retry_failed: bool = True,
    refused: int = 0,
    owner: str | None = None,
) -> int:
    reporter = _Reporter(args, progress, unit)
    result = run_job(
        app,
        actor,
        job_id,
        owner=owner,
        on_progress=reporter,
        retry_failed=retry_failed,
        render_processes=args.render_processes,
    )
    reporter.finish()
    data = {
        "job": result.job_id,
        "status": result.status,
        "done": result.done,
        "failed": result.failed,
        "uncertain": result.uncertain,
        "total": result.total,
        "sent_now": result.sent,
        "refused": refused,
        "error": result.error,
    }
    emit(args, data)
    if result.status == "done":
        return 0
    if result.status == "paused":
        return EXIT_PAUSED
    return EXIT_ERROR


class _Reporter:
    """Every failure or message at once, as a line on stderr; the items settled (printed,
    failed or uncertain) out of the job's on the progress display."""

    def __init__(self, args: argparse.Namespace, progress: Progress, unit: str) -> None:
        self.quiet = args.quiet
        self.progress, self.unit = progress, unit
        self.events: ProgressEvents | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if self.quiet:
            return
        if event.item_state in ("failed", "uncertain", "queued") or event.message:
            where = f"item {event.position}: " if event.position else ""
            state = f"[{event.item_state}] " if event.item_state else ""
            print(f"{state}{where}{event.message}", file=sys.stderr)
        if self.events is None:
            self.events = ProgressEvents(self.progress, self.unit, f"job {event.job_id}")
        self.events.update(
            event.done + event.failed + event.uncertain,
            event.total,
            before=event.before,
            printed=event.done,
            failed=event.failed,
            uncertain=event.uncertain,
        )

    def finish(self) -> None:
        if self.events is not None:
            self.events.finish()


def _note(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


# ---------------------------------------------------------------- operator actions


def _resolve(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    settle_crashed(app, actor, args.job)
    result = resolve_uncertain(
        app, actor, args.job, "skip" if args.skip else "reprint", args.positions, args.reason
    )
    emit(args, {"job": args.job, "skipped": result.skipped, "reprint_items": result.reprinted})
    return 0


def _pause(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    emit(
        args,
        {"job": args.job, "status": pause_job(app, acting_actor(app, args), args.job)},
    )
    return 0


def _cancel(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    emit(
        args,
        {"job": args.job, "status": cancel_job(app, acting_actor(app, args), args.job)},
    )
    return 0


# ---------------------------------------------------------------- listings


def _positions(text: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("positions are whole numbers, e.g. 3,17") from None
