"""`/v1/templates`: label, packing-slip, pick-list and product-label templates the org
prints with (its own, then the built-ins it does not shadow), by name, with a PNG preview
(sample data, or an order's with the receiver masked)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.contract import Call, Operation, Raw
from core.printing import preview, template_store
from core.printing.template_store import TemplateDetail, TemplateInfo

Kind = Literal["label", "packing_slip", "pick_list", "product_label"]
TAGS = ("templates",)


class TemplateQuery(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind | None = None


class TemplateList(msgspec.Struct):
    items: list[TemplateInfo]
    next_cursor: str | None = None  # always null: the whole list in one answer


class PreviewQuery(msgspec.Struct, forbid_unknown_fields=True):
    order: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    dpi: Annotated[int, msgspec.Meta(ge=50, le=600)] = preview.PREVIEW_DPI


def _list_templates(call: Call) -> TemplateList:
    assert call.actor is not None
    return TemplateList(template_store.list_templates(call.app, call.actor, call.query.kind))


def _show_template(call: Call) -> TemplateDetail:
    assert call.actor is not None
    return template_store.show_template(call.app, call.actor, call.path["name"])


def _preview_template(call: Call) -> Raw:
    q: PreviewQuery = call.query
    assert call.actor is not None
    found = preview.preview_named(
        call.app, call.actor, call.path["name"], order_number=q.order, dpi=q.dpi
    )
    return Raw(found.png, "image/png")


OPERATIONS = (
    Operation(
        "GET",
        "/v1/templates",
        "Templates the org prints with (its own, then the built-ins)",
        _list_templates,
        TemplateList,
        query=TemplateQuery,
        permission="print.run or settings.manage",
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/templates/{name}",
        "One template with its versions and current layout",
        _show_template,
        TemplateDetail,
        permission="print.run or settings.manage",
        errors=(404,),
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/templates/{name}/preview.png",
        "The template rendered as PNG: sample data, or an order's (receiver masked)",
        _preview_template,
        None,
        query=PreviewQuery,
        permission="print.run",
        errors=(404, 501),
        produces=("image/png",),
        tags=TAGS,
    ),
)
