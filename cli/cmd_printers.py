"""`orderhub printers add|list|update|discover|test|calibrate` — the printers labels go to.

    orderhub printers add 仓库一号 --driver network --set host=192.168.1.50 --language tspl
    orderhub printers add 预览 --driver file --set folder=~/labels --set create=true --language pdf
    orderhub printers add 拼多多 --driver pinduoduo-component --set printer=GP-3120TU
    orderhub printers add 热敏 --driver network --set host=10.0.0.7 --cjk-font TSS24.BF2 \\
        --render gap_mm=3 --render density=10
    orderhub printers test 仓库一号          # a page with rulers, the offsets and the dpi
    orderhub printers calibrate 仓库一号 --dx 1.5 --dy -0.5

`--set KEY=VALUE` are the driver's settings (host, port, folder, queue, url, printer …),
`--render KEY=VALUE` the renderer's options (TSPL gap_mm, density, invert_bitmap …).
Settings are checked when the printer is added: a wrong key or value is named then.
"""

from __future__ import annotations

import argparse
import json

from cli.common import add_json_option, add_org_option, cli_actor, count, emit, open_cli_app
from core.errors import ValidationError
from core.printing.printer_tools import discover, print_test_page
from core.printing.printers import (
    PrinterConfig,
    add_printer,
    calibrate,
    get_printer,
    list_printers,
    update_printer,
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("printers", help="add, list, test and calibrate printers")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    add = verbs.add_parser(
        "add",
        help="add a printer (driver, settings, language, media)",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("name")
    add.add_argument("--driver", required=True, help="network, file, usb, spooler, …")
    _printer_options(add)
    add.set_defaults(handler=_add)

    update = verbs.add_parser("update", help="change a printer's settings")
    update.add_argument("name")
    _printer_options(update)
    switch = update.add_mutually_exclusive_group()
    switch.add_argument("--enable", dest="enabled", action="store_true", default=None)
    switch.add_argument("--disable", dest="enabled", action="store_false")
    update.set_defaults(handler=_update)

    verbs.add_parser("list", help="list the org's printers").set_defaults(handler=_list)

    discover = verbs.add_parser("discover", help="printers the drivers can see right now")
    discover.add_argument("--driver", help="ask only this driver")
    discover.add_argument("--timeout", type=float, default=3.0, help="seconds per driver")
    discover.add_argument(
        "--set",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="a driver setting (a component's url, a CUPS server)",
    )
    discover.set_defaults(handler=_discover)

    test = verbs.add_parser("test", help="print a test page (rulers, offsets, dpi)")
    test.add_argument("name")
    test.set_defaults(handler=_test)

    calibrate = verbs.add_parser("calibrate", help="set the x/y offset correction in mm")
    calibrate.add_argument("name")
    calibrate.add_argument("--dx", type=float, required=True, help="mm, positive: right")
    calibrate.add_argument("--dy", type=float, required=True, help="mm, positive: down")
    calibrate.set_defaults(handler=_calibrate)

    for p in verbs.choices.values():
        add_org_option(p)
        add_json_option(p)


def _printer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", action="append", default=None, metavar="KEY=VALUE", help="a driver setting"
    )
    parser.add_argument("--language", help="tspl, zpl, escpos, pdf, png, pdd-print")
    parser.add_argument("--dpi", type=count)
    parser.add_argument("--media", metavar="WxH", help="media size in mm, e.g. 76x130")
    parser.add_argument("--cjk-font", help="a printer-resident CJK font (TSPL: TSS24.BF2)")
    parser.add_argument(
        "--render", action="append", default=None, metavar="KEY=VALUE", help="a renderer option"
    )


def pairs(items: list[str] | None, what: str, *, typed: bool) -> dict[str, object]:
    """`KEY=VALUE` options. Driver settings stay text (drivers read "9100" or "true");
    renderer options (`typed`) that read as JSON numbers or booleans become those."""
    out: dict[str, object] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"{what} {item!r} is not KEY=VALUE", field=what)
        out[key.strip()] = value
        if typed:
            try:
                parsed = json.loads(value)
            except ValueError:
                continue
            if isinstance(parsed, bool | int | float):
                out[key.strip()] = parsed
    return out


def media(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    width, _, height = text.lower().replace("×", "x").partition("x")
    try:
        return float(width), float(height)
    except ValueError:
        raise ValidationError(f"--media {text!r}: give width x height in mm, e.g. 76x130") from None


def describe(config: PrinterConfig) -> dict[str, object]:
    return config.as_mapping()


def _add(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    options: dict[str, object] = {}
    if args.dpi is not None:
        options["dpi"] = args.dpi
    if args.media:
        options["media_mm"] = media(args.media)
    config = add_printer(
        app,
        cli_actor(app, args.org),
        name=args.name,
        driver=args.driver,
        settings=pairs(args.set, "--set", typed=False),
        language=args.language,
        cjk_font=args.cjk_font or "",
        render=pairs(args.render, "--render", typed=True),
        **options,
    )
    emit(args, describe(config))
    return 0


def _update(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = cli_actor(app, args.org)
    current = get_printer(app, actor, args.name)
    changes: dict[str, object] = {}
    if args.set is not None:  # merged into the current settings; KEY= removes KEY
        merged = {**current.settings, **pairs(args.set, "--set", typed=False)}
        changes["settings"] = {k: v for k, v in merged.items() if v != ""}
    if args.render is not None:
        merged = {**current.render, **pairs(args.render, "--render", typed=True)}
        changes["render"] = {k: v for k, v in merged.items() if v != ""}
    for key, value in (("language", args.language), ("dpi", args.dpi)):
        if value is not None:
            changes[key] = value
    if args.media:
        changes["media_mm"] = media(args.media)
    if args.cjk_font is not None:
        changes["cjk_font"] = args.cjk_font
    if args.enabled is not None:
        changes["enabled"] = args.enabled
    config = update_printer(app, actor, args.name, **changes)
    emit(args, describe(config))
    return 0


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = list_printers(app, cli_actor(app, args.org))
    rows = [
        (
            c.name,
            c.driver,
            c.language,
            c.dpi,
            f"{c.media_width_mm:g}x{c.media_height_mm:g}",
            f"{c.offset_x_mm:+g},{c.offset_y_mm:+g}",
            "yes" if c.enabled else "no",
            _where(c.settings),
        )
        for c in found
    ]
    headers = ("NAME", "DRIVER", "LANGUAGE", "DPI", "MEDIA", "OFFSET", "ON", "WHERE")
    emit(args, [describe(c) for c in found], rows, headers)
    return 0


def _where(settings: object) -> str:
    values = dict(settings)  # type: ignore[call-overload]
    for key in ("host", "folder", "queue", "url", "printer"):
        if key in values:
            port = f":{values['port']}" if key == "host" and "port" in values else ""
            return f"{values[key]}{port}"
    return ""


def _discover(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    settings = pairs(args.set, "--set", typed=False)
    results = discover(app, cli_actor(app, args.org), args.driver, args.timeout, settings)
    data = [
        {
            "driver": r.driver,
            "error": r.error,
            "printers": [
                {
                    "name": p.name,
                    "settings": dict(p.settings),
                    "model": p.model,
                    "languages": list(p.languages),
                    "detail": p.detail,
                }
                for p in r.printers
            ],
        }
        for r in results
    ]
    rows = []
    for r in results:
        if r.error:
            rows.append((r.driver, "-", f"cannot look: {r.error}"))
        rows += [
            (r.driver, p.name, " ".join(f"--set {k}={v}" for k, v in p.settings.items()))
            for p in r.printers
        ]
        if not r.error and not r.printers:
            rows.append((r.driver, "-", "none found"))
    emit(args, data, rows, ("DRIVER", "PRINTER", "ADD WITH"))
    return 0


def _test(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    size = print_test_page(app, cli_actor(app, args.org), args.name)
    emit(args, {"printer": args.name, "bytes": size, "sent": True})
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    config = calibrate(app, cli_actor(app, args.org), args.name, args.dx, args.dy)
    emit(args, describe(config))
    return 0
