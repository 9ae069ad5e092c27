"""`orderhub import FILE --shop SHOP` — import orders from a CSV/XLSX file (导入订单).

The file is checked row by row first; a file with errors imports nothing unless
`--partial` is given (then exactly the rows without errors are imported). `--dry-run`
reports what would be new, updated or unchanged and writes nothing. Re-importing the same
file changes nothing. Exit codes: 0 every row imported (or a dry run that would import
them all), 1 rejected (or a dry run that would be) or the file could not be read, 2 usage,
3 imported with `--partial` but rows with errors were left out (or a dry run that would).
While the file is read, the orders read so far and their rate show on stderr (a bar on a
terminal, a line every ten seconds otherwise, nothing with `--json`).
"""

from __future__ import annotations

import argparse
import sys

from cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    add_json_option,
    add_org_option,
    cli_actor,
    emit,
    open_cli_app,
)
from cli.progress import progress_for
from core.actor import Actor
from core.app import App
from core.errors import NotFound
from core.importing import service
from core.importing.report import ImportReport
from core.shops import binding

SHOWN_ISSUES = 50
EXIT_ROWS_LEFT_OUT = 3


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "import",
        help="import orders from a CSV/XLSX file (Pinduoduo export or a mapped file)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("file", metavar="FILE", help="the .csv or .xlsx file ('-' for stdin)")
    parser.add_argument("--shop", required=True, help="shop id, name or platform shop id")
    parser.add_argument(
        "--format",
        help="import format (pdd-export, mapped, …); default: recognised from the file",
    )
    parser.add_argument(
        "--mapping", metavar="FILE", help="column mapping (TOML/JSON): implies mapped"
    )
    parser.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    parser.add_argument(
        "--partial", action="store_true", help="import the valid rows even if others have errors"
    )
    add_org_option(parser)
    add_json_option(parser)
    parser.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    app = open_cli_app(args, bulk_writes=True)
    actor = cli_actor(app, args.org)
    shop_id = resolve_shop(app, actor, args.shop)
    source = sys.stdin.buffer if args.file == "-" else args.file
    with progress_for(args) as progress:
        report = service.import_orders(
            app,
            actor,
            shop_id,
            source,
            filename="stdin.csv" if args.file == "-" else None,
            format=args.format,
            mapping=args.mapping,
            dry_run=args.dry_run,
            partial=args.partial,
            progress=progress,
        )
    if getattr(args, "json", False):
        emit(args, report.as_dict())
    else:
        _print(report)
    return exit_code(report)


def exit_code(report: ImportReport) -> int:
    """Rejected → 1; rows with errors left out by `--partial` → 3 (never 0: a script
    must notice orders that were not imported); else 0. A dry run answers like the real
    import would."""
    if report.outcome == "rejected" or (report.invalid and not report.partial):
        return EXIT_ERROR
    return EXIT_ROWS_LEFT_OUT if report.invalid else EXIT_OK


def resolve_shop(app: App, actor: Actor, text: str) -> int:
    """A shop of the actor's org by id, exact name, or platform shop id (in that order)."""
    found = binding.list_shops(app, actor)
    for match in (
        [s for s in found if text.isdigit() and s.id == int(text)],
        [s for s in found if s.name == text],
        [s for s in found if s.platform_shop_id == text],
    ):
        if len(match) == 1:
            return match[0].id
        if len(match) > 1:
            ids = ", ".join(str(s.id) for s in match)
            raise NotFound(f"{text!r} names several shops (ids {ids}); give the shop id")
    known = ", ".join(f"{s.id} {s.name}" for s in found) or "none: bind a shop first"
    raise NotFound(f"no shop {text!r} in this org; shops: {known}")


def _print(report: ImportReport) -> None:
    """Issues first (errors before warnings, capped), then the counts and what happened."""
    shown = sorted(report.issues, key=lambda i: (i.severity != "error", i.row))[:SHOWN_ISSUES]
    for issue in shown:
        where = f"row {issue.row}" + (f", {issue.column}" if issue.column else "")
        print(f"{issue.severity}: {where}: {issue.message}")
    hidden = report.errors + report.warnings - len(shown)
    if hidden > 0:
        print(f"… and {hidden} more issues (use --json for the first {len(report.issues)})")
    print(f"{report.filename} ({report.format}): {report.summary()}")
    if report.outcome == "rejected":
        print(
            f"nothing imported: {report.invalid} rows have errors; fix them and import again, "
            "or use --partial to import only the valid rows"
        )
    elif report.dry_run:
        print("dry run: nothing was written")
        if report.invalid and not report.partial:
            print(
                f"{report.invalid} rows have errors: the import would be rejected "
                "(or use --partial)"
            )
        elif report.invalid:
            print(f"{report.invalid} rows with errors would be left out (--partial)")
    elif report.outcome == "empty":
        print("no order rows below the header: nothing to import")
    elif report.invalid:
        print(f"{report.invalid} rows with errors were left out (--partial): fix and import them")
