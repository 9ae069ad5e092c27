"""`orderhub export …` (数据导出) and the file verbs of `orderhub sku`.

    orderhub export orders --filter "status:shipped province:浙江省" --from 2026-11-01 \\
        --to 2026-11-30 --xlsx 十一月发货.xlsx
    orderhub export orders --reveal --csv 收货人.csv     # receivers in clear: pii.view, audited
    orderhub export packages|waybills|prints --filter "carrier:中通主号" --csv FILE
    orderhub sku export --xlsx 商品档案.xlsx             # what `sku import` reads back
    orderhub sku export --mappings --csv SKU对应.csv     # what `sku import --mappings` reads

`--filter` is the order list's filter language (docs/guide.md §17); `--from` and
`--to` are Beijing dates, both included: the payment time of orders, the creation of
packages, the allocation of waybills, the sending of prints. The file is written next to
its name first and put in place once complete, so a failed export leaves no half file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from cli.common import (
    acting_actor,
    add_actor_options,
    add_token_option,
    emit,
    file_path,
    open_cli_app,
    open_named_file,
)
from core.errors import ValidationError
from core.exports import orders, prints, shipments
from core.stock import catalogue_file, mapping_file

T = TypeVar("T")
KINDS = ("orders", "packages", "waybills", "prints")
REVEALING = ("orders", "waybills")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export",
        help="数据导出: orders, packages, waybills or print history to CSV/XLSX",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", choices=KINDS, metavar="|".join(KINDS))
    # A token option: `--filter -status:pending` works like `--filter=-status:pending`.
    add_token_option(parser, "--filter", "the desk's filter (as on the order list)")
    parser.add_argument("--from", dest="since", metavar="DATE", help="Beijing date, included")
    parser.add_argument("--to", dest="until", metavar="DATE", help="Beijing date, included")
    parser.add_argument(
        "--reveal",
        action="store_true",
        help="receivers in clear (orders, waybills; needs pii.view, audited)",
    )
    add_file_options(parser)
    add_actor_options(parser)
    parser.set_defaults(handler=_export)


def add_file_options(parser: argparse.ArgumentParser) -> None:
    """`--csv FILE | --xlsx FILE`, one of them required."""
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--csv", type=file_path, metavar="FILE", help="write CSV (UTF-8 with BOM)")
    where.add_argument("--xlsx", type=file_path, metavar="FILE", help="write an XLSX workbook")


def add_sku_export(verbs: argparse._SubParsersAction) -> None:
    """`orderhub sku export [--mappings] (--csv FILE | --xlsx FILE)`."""
    parser = verbs.add_parser(
        "export", help="the SKUs (or --mappings) to CSV/XLSX, as `sku import` reads them"
    )
    parser.add_argument(
        "--mappings", action="store_true", help="the SKU mappings (SKU 对应) instead"
    )
    add_file_options(parser)
    parser.set_defaults(handler=_sku_export)


def import_mappings(args: argparse.Namespace, path: str) -> int:
    """`orderhub sku import --mappings FILE`."""
    app = open_cli_app(args)
    with open_named_file(path) as stream:
        done = mapping_file.import_mappings(app, acting_actor(app, args), stream, Path(path).name)
    data = {"added": done.added, "replaced": done.replaced, "unchanged": done.unchanged}
    rows = [(done.added, done.replaced, done.unchanged)]
    emit(args, data, rows, ("ADDED", "REPLACED", "SAME"))
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.reveal and args.kind not in REVEALING:
        raise ValidationError(
            f"--reveal: {args.kind} carry no receiver names; it is for orders and waybills",
            field="reveal",
        )
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    fmt, path = _target(args)
    options = {"query": args.filter, "since": args.since, "until": args.until}
    if args.kind in REVEALING:
        options["reveal"] = args.reveal
    call = {
        "orders": orders.export_orders,
        "packages": shipments.export_packages,
        "waybills": shipments.export_waybills,
        "prints": prints.export_prints,
    }[args.kind]
    done = _written(path, lambda out: call(app, actor, out, fmt, **options))  # type: ignore[operator]
    data = {
        "kind": done.kind,
        "rows": done.rows,
        "file": str(path),
        "filter": done.filter,
        "revealed": done.revealed,
        "left_masked": done.masked,
    }
    shown = "in clear (audited)" if done.revealed else "masked"
    if args.kind in REVEALING:
        extra = f", {done.masked} platform-encrypted left masked" if done.masked else ""
        note = f"; receivers {shown}{extra}"
    else:
        note = ""
    if getattr(args, "json", False):
        emit(args, data)
    else:
        print(f"{done.kind}: {done.rows:,} rows written to {path}{note}")
    return 0


def _sku_export(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    fmt, path = _target(args)
    call = mapping_file.export_mappings if args.mappings else catalogue_file.export_catalogue
    rows = _written(path, lambda out: call(app, actor, out, fmt))
    kind = "mappings" if args.mappings else "skus"
    if getattr(args, "json", False):
        emit(args, {"kind": kind, "rows": rows, "file": str(path)})
    else:
        print(f"{kind}: {rows:,} rows written to {path}")
    return 0


def _target(args: argparse.Namespace) -> tuple[str, Path]:
    return ("csv", args.csv) if args.csv is not None else ("xlsx", args.xlsx)


def _written(path: Path, write: Callable[[BinaryIO], T]) -> T:
    """Write through `write` to a temporary file beside `path`, then put it in place; on
    any failure the temporary file goes and `path` is as it was. The file is readable by
    its owner only, as a file that may hold buyers' data should be."""
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError(f"{path}: there is no folder {str(folder)!r}", field="file")
    if path.is_dir():
        raise ValidationError(f"{path}: is a folder; name the file to write", field="file")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            result = write(out)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return result
