"""`/v1/printers`: the printers labels go to — raw TCP 9100 (`network`), CUPS
(`spooler`), USB (`usb`), a folder of PDF files (`file`), a platform print component —
added, changed, removed, and a test page (rulers and offsets) printed on one."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import msgspec

from api.contract import Call, Operation, Reply
from api.routes.common import Name
from core.printing import printer_tools, printers
from core.printing.printers import PrinterConfig

Setting = str | int | float | bool
SettingKey = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Settings = Annotated[dict[SettingKey, Setting], msgspec.Meta(max_length=64)]
Dpi = Annotated[int, msgspec.Meta(ge=100, le=600)]
Mm = Annotated[float, msgspec.Meta(ge=10, le=600)]
Language = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Font = Annotated[str, msgspec.Meta(max_length=64)]
TAGS = ("printers",)


class Printer(msgspec.Struct):
    name: str
    driver: str
    language: str
    dpi: int
    media_width_mm: float
    media_height_mm: float
    offset_x_mm: float
    offset_y_mm: float
    cjk_font: str
    enabled: bool
    settings: dict[str, Any]  # the driver's (host, port, queue, folder …)
    render: dict[str, Any]  # the renderer's options (TSPL gap_mm, density …)


class PrinterList(msgspec.Struct):
    items: list[Printer]
    next_cursor: str | None = None  # always null: the whole list in one answer


class PrinterCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    driver: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]  # network, spooler, …
    settings: Settings = {}
    language: Language | None = None  # default: the first the driver takes
    dpi: Dpi = 203
    media_width_mm: Mm = 76.0
    media_height_mm: Mm = 130.0
    cjk_font: Font = ""
    render: Settings = {}


class PrinterUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; `settings` and `render` are replaced whole."""

    settings: Settings | msgspec.UnsetType = msgspec.UNSET
    language: Language | msgspec.UnsetType = msgspec.UNSET
    dpi: Dpi | msgspec.UnsetType = msgspec.UNSET
    media_width_mm: Mm | msgspec.UnsetType = msgspec.UNSET
    media_height_mm: Mm | msgspec.UnsetType = msgspec.UNSET
    cjk_font: Font | msgspec.UnsetType = msgspec.UNSET
    render: Settings | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


Offset = Annotated[float, msgspec.Meta(ge=-20, le=20)]


class Calibrate(msgspec.Struct, forbid_unknown_fields=True):
    dx_mm: Offset  # positive: right
    dy_mm: Offset  # positive: down


class TestPage(msgspec.Struct):
    printer: str
    bytes: int  # sent to the printer


def _out(c: PrinterConfig) -> Printer:
    return Printer(
        name=c.name,
        driver=c.driver,
        language=c.language,
        dpi=c.dpi,
        media_width_mm=c.media_width_mm,
        media_height_mm=c.media_height_mm,
        offset_x_mm=c.offset_x_mm,
        offset_y_mm=c.offset_y_mm,
        cjk_font=c.cjk_font,
        enabled=c.enabled,
        settings=dict(c.settings),
        render=dict(c.render),
    )


def _list_printers(call: Call) -> PrinterList:
    assert call.actor is not None
    return PrinterList([_out(c) for c in printers.list_printers(call.app, call.actor)])


def _add_printer(call: Call) -> Reply:
    b: PrinterCreate = call.body
    assert call.actor is not None
    config = printers.add_printer(
        call.app,
        call.actor,
        name=b.name,
        driver=b.driver,
        settings=b.settings,
        language=b.language,
        dpi=b.dpi,
        media_mm=(b.media_width_mm, b.media_height_mm),
        cjk_font=b.cjk_font,
        render=b.render,
    )
    return Reply(
        _out(config), status=201, headers={"Location": f"/v1/printers/{quote(config.name)}"}
    )


def _show_printer(call: Call) -> Printer:
    assert call.actor is not None
    return _out(printers.get_printer(call.app, call.actor, call.path["name"]))


def _update_printer(call: Call) -> Printer:
    b: PrinterUpdate = call.body
    assert call.actor is not None
    changes = {f: getattr(b, f) for f in b.__struct_fields__ if getattr(b, f) is not msgspec.UNSET}
    return _out(printers.update_printer(call.app, call.actor, call.path["name"], **changes))


def _remove_printer(call: Call) -> None:
    assert call.actor is not None
    printers.remove_printer(call.app, call.actor, call.path["name"])


def _calibrate_printer(call: Call) -> Printer:
    b: Calibrate = call.body
    assert call.actor is not None
    return _out(printers.calibrate(call.app, call.actor, call.path["name"], b.dx_mm, b.dy_mm))


def _print_test_page(call: Call) -> TestPage:
    assert call.actor is not None
    name = call.path["name"]
    return TestPage(name, printer_tools.print_test_page(call.app, call.actor, name))


OPERATIONS = (
    Operation(
        "GET",
        "/v1/printers",
        "The org's printers",
        _list_printers,
        PrinterList,
        permission="print.run or settings.manage",
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/v1/printers",
        "Add a printer (its settings are checked by building its driver and renderer)",
        _add_printer,
        Printer,
        request=PrinterCreate,
        permission="settings.manage",
        status=201,
        errors=(409, 501),
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/printers/{name}",
        "One printer",
        _show_printer,
        Printer,
        permission="print.run or settings.manage",
        errors=(404,),
        tags=TAGS,
    ),
    Operation(
        "PATCH",
        "/v1/printers/{name}",
        "Change a printer's settings, language, resolution, media or font; enable, disable",
        _update_printer,
        Printer,
        request=PrinterUpdate,
        permission="settings.manage",
        errors=(404, 501),
        tags=TAGS,
    ),
    Operation(
        "DELETE",
        "/v1/printers/{name}",
        "Remove a printer no job used (one that printed: disable it)",
        _remove_printer,
        None,
        permission="settings.manage",
        status=204,
        errors=(404, 409),
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/v1/printers/{name}/calibrate",
        "Set the printer's offset correction in mm (from the test page's rulers)",
        _calibrate_printer,
        Printer,
        request=Calibrate,
        permission="settings.manage",
        errors=(404,),
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/v1/printers/{name}/test-page",
        "Print the test page: rulers, offsets, resolution",
        _print_test_page,
        TestPage,
        permission="print.run",
        errors=(404, 501, 502, 503),
        tags=TAGS,
    ),
)
