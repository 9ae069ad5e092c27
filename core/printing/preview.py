"""Previews as PNG, for a screen rather than a printer: a document for an order (or the
kind's sample), a printer's test page at offsets not yet saved, and a template being
edited.

The PNG comes from the renderer plugin that accepts `png` (the built-in one draws exactly
the 1-bit raster a thermal printer gets), at a low resolution by default: a preview is
looked at on a screen, often as half blocks in a terminal. Nothing is stored or sent.

- `preview` renders one document of `kind` with a stored template (the org's, else the
  built-in of that name; the kind's default without a name). Given an order number whose
  live package has what the kind needs (a label: an active waybill), the data is that
  package's, as the print job would build it, except that the receiver is always masked:
  a preview reveals nobody (and needs no `pii.view` or audit). Without an order, or for a
  pick list (a batch's document), the kind's sample data is used and `Preview.sample`
  says so. Needs `print.run`; the order must be the org's (`NotFound` otherwise).
- `preview_test_page` and `preview_template`: calibrating a printer and editing a template
  are both "change a number, look again": the front end renders after each change and
  saves only when the operator is content (`core.printing.printers.calibrate`,
  `core.printing.template_store.import_template`). Needs `print.run` or `settings.manage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.contracts.renderer import RenderRequest, TemplateSpec
from core.errors import NotFound, NotSupported, ValidationError
from core.models import Order, Package, PackageLine
from core.printing import documents as docs
from core.printing import template_store
from core.printing.jobs import JOB_KINDS
from core.printing.printers import MAX_OFFSET_MM, PrinterConfig, get_row, require_use
from core.printing.testpage import build_test_page
from core.templates import Party, sample_data, template_from_dict
from core.waybills.requests import recipient_of

PREVIEW_LANGUAGE = "png"
#: A screen shows a few dozen pixels across: about 100 dpi keeps a raster small and fast.
PREVIEW_DPI = 100
DPI_RANGE = (50, 600)


@dataclass(frozen=True)
class Preview:
    """One rendered document: PNG bytes (1-bit; several pages are stacked), the page's
    size, and — for `preview` — what it shows."""

    png: bytes
    width_mm: float
    height_mm: float
    dpi: int
    kind: str = ""
    template: str = ""  # name@version
    sample: bool = True  # the kind's sample data, not an order's
    order_number: str = ""
    waybill: str = ""
    receiver: str = ""  # the masked receiver the preview shows ("李* 139****9000")


def preview(
    app: App,
    actor: Actor,
    *,
    kind: str = "label",
    template: str | None = None,
    order_number: str | None = None,
    dpi: int = PREVIEW_DPI,
) -> Preview:
    """The PNG of `kind` with `template`, for `order_number`'s package when it can be
    (see the module docstring)."""
    if kind not in JOB_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(JOB_KINDS)}", field="kind")
    dpi = _dpi(dpi)
    number = (order_number or "").strip()
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        version = template_store.resolve(session, actor.org_id, template, kind)
        spec = template_store.spec_of(session, version.id)
        data, waybill = None, ""
        if number and kind != "pick_list":
            data, waybill = _order_data(session, actor.org_id, number, kind)
    receiver = (data or {}).get("receiver") or {}
    request = RenderRequest(spec, data or sample_data(kind), PREVIEW_LANGUAGE, dpi=dpi)
    document = _png_renderer(app).render(request)
    return Preview(
        png=document.content,
        kind=kind,
        template=f"{spec.name}@{spec.version}",
        width_mm=spec.width_mm,
        height_mm=spec.height_mm,
        dpi=dpi,
        sample=data is None,
        order_number=number if data is not None else "",
        waybill=waybill,
        receiver=f"{receiver.get('name', '')} {receiver.get('phone', '')}".strip(),
    )


def preview_named(
    app: App,
    actor: Actor,
    name: str,
    *,
    order_number: str | None = None,
    dpi: int = PREVIEW_DPI,
) -> Preview:
    """`preview` of stored template `name`, of the kind it is (`print.run`)."""
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        kind = template_store.find(session, actor.org_id, name).kind
    return preview(app, actor, kind=kind, template=name, order_number=order_number, dpi=dpi)


def _order_data(session: Session, org_id: int, number: str, kind: str) -> tuple[dict | None, str]:  # type: ignore[type-arg]
    """The render mapping of the order's live package (receiver masked), or None when the
    package lacks what `kind` needs (a label without an active waybill)."""
    order_id = session.scalar(
        select(Order.id).where(Order.org_id == org_id, Order.platform_order_no == number)
    )
    if order_id is None:
        raise NotFound(f"no order {number}")
    package_id = session.scalar(
        select(Package.id)
        .join(PackageLine, PackageLine.package_id == Package.id)
        .where(PackageLine.order_id == order_id, Package.status != "cancelled")
        .order_by(Package.id)
        .limit(1)
    )
    if package_id is None:
        return None, ""
    source = docs.load_packages(session, [package_id]).get(package_id)
    if source is None or not source.orders:
        return None, ""
    now = clock.now()
    masked = Party.from_contact(recipient_of(source.orders[0]), masked=True)
    if kind == "label":
        if source.waybill is None:
            return None, ""
        label = replace(docs.label_data(source, now), receiver=masked)
        return label.to_mapping(), source.waybill.number
    if kind == "packing_slip":
        return docs.packing_slip_data(source, now).to_mapping(), ""
    line_no = session.scalar(
        select(PackageLine.line_no)
        .where(PackageLine.package_id == package_id, PackageLine.order_id == order_id)
        .order_by(PackageLine.id)
        .limit(1)
    )
    ref = docs.ItemRef(
        id=0,
        position=1,
        kind=kind,
        package_id=package_id,
        order_id=order_id,
        waybill_id=None,
        printer_id=None,
        template_version_id=None,
        reprint=False,
        attempts=0,
        line_no=line_no,
    )
    return docs.product_label_data(source, ref, now).to_mapping(), ""


def preview_test_page(
    app: App,
    actor: Actor,
    printer: str | int,
    *,
    offset_x_mm: float | None = None,
    offset_y_mm: float | None = None,
    dpi: int = PREVIEW_DPI,
) -> Preview:
    """The printer's test page as it would land with these offsets (default: the saved
    ones), for calibrating before `calibrate` stores them."""
    with app.tx() as session:
        require_use(session, actor)
        config = PrinterConfig.of(get_row(session, actor.org_id, printer))
    dx = config.offset_x_mm if offset_x_mm is None else _offset("dx", offset_x_mm)
    dy = config.offset_y_mm if offset_y_mm is None else _offset("dy", offset_y_mm)
    spec = build_test_page(
        printer=config.name,
        width_mm=config.media_width_mm,
        height_mm=config.media_height_mm,
        dpi=config.dpi,
        language=config.language,
        offset_x_mm=dx,
        offset_y_mm=dy,
    )
    return _render(app, spec, {}, _dpi(dpi), dx, dy)


def preview_template(
    app: App, actor: Actor, template: Mapping[str, Any], *, dpi: int = PREVIEW_DPI
) -> Preview:
    """A template (the JSON file format as a mapping, e.g. one being edited) rendered
    with its kind's sample data; an invalid template is a `ValidationError` naming the
    element and key, as on import."""
    with app.tx() as session:
        require_use(session, actor)
    spec = template_from_dict(dict(template), source=str(template.get("name") or "template"))
    return _render(app, spec, sample_data(spec.kind), _dpi(dpi), 0.0, 0.0)


def _render(
    app: App, spec: TemplateSpec, data: Mapping[str, Any], dpi: int, dx: float, dy: float
) -> Preview:
    renderer = _png_renderer(app)
    request = RenderRequest(
        template=spec,
        data=data,
        language=PREVIEW_LANGUAGE,
        dpi=dpi,
        offset_x_mm=dx,
        offset_y_mm=dy,
    )
    document = renderer.render(request)
    return Preview(document.content, float(spec.width_mm), float(spec.height_mm), dpi)


def _offset(key: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValidationError(f"{key} must be a number of millimetres", field=key)
    if abs(value) > MAX_OFFSET_MM:
        raise ValidationError(
            f"{key} {value:g} mm is more than ±{MAX_OFFSET_MM:g} mm; check the media size",
            field=key,
        )
    return round(float(value), 2)


def _png_renderer(app: App):  # type: ignore[no-untyped-def]
    found = [c for c in app.plugins.renderers().values() if c.accepts(PREVIEW_LANGUAGE)]
    if not found:
        raise NotSupported("no renderer plugin draws PNG previews", language=PREVIEW_LANGUAGE)
    return found[0]({}, app.plugins.services)


def _dpi(dpi: int) -> int:
    low, high = DPI_RANGE
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not low <= dpi <= high:
        raise ValidationError(f"dpi must be {low} to {high}, not {dpi!r}", field="dpi")
    return dpi
