"""Previews: what a template prints, as a PNG, for a screen rather than a printer.

`preview` renders one document of `kind` with a stored template (the org's, else the
built-in of that name; the kind's default without a name) through the PNG renderer
plugin — the same 1-bit raster a thermal printer gets — so a person can look at a label
before a batch goes out. Given an order number whose live package has what the kind
needs (a label: an active waybill), the data is that package's, as the print job would
build it, except that the receiver is always masked: a preview is looked at on a screen,
not stuck on a parcel, so it reveals nobody (and needs no `pii.view` or audit). Without
an order, or for a pick list (a batch's document), the kind's sample data is used and
`Preview.sample` says so.

Needs `print.run` (the preview belongs to printing) and, for an order's data, the order
must be the actor's org's (`NotFound` otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.contracts.renderer import RenderRequest
from core.errors import NotFound, NotSupported, ValidationError
from core.models import Order, Package, PackageLine
from core.printing import documents as docs
from core.printing import template_store
from core.printing.jobs import JOB_KINDS
from core.templates import Party, sample_data
from core.waybills.requests import recipient_of

PREVIEW_LANGUAGE = "png"
#: A screen shows a few dozen pixels across: 96 dpi keeps a label's raster small and fast.
PREVIEW_DPI = 96
DPI_RANGE = (50, 600)


@dataclass(frozen=True)
class Preview:
    """One rendered document: PNG bytes (1-bit, stacked pages) and what it shows."""

    png: bytes
    kind: str
    template: str  # name@version
    width_mm: float
    height_mm: float
    dpi: int
    sample: bool  # the kind's sample data, not an order's
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
    if not DPI_RANGE[0] <= dpi <= DPI_RANGE[1]:
        raise ValidationError(f"dpi must be {DPI_RANGE[0]} to {DPI_RANGE[1]}", field="dpi")
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


def _png_renderer(app: App):  # type: ignore[no-untyped-def]
    found = [c for c in app.plugins.renderers().values() if c.accepts(PREVIEW_LANGUAGE)]
    if not found:
        raise NotSupported("no renderer plugin produces PNG; previews need one")
    return found[0]({}, app.plugins.services)
