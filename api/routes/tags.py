"""`/v1/tags` and an order's tags: the org's tags (标签) with colours and order counts, and
tagging orders — one order by path, or a batch by numbers or a filter.

Listing needs `order.view`; tagging `order.edit`. Tagging is a set operation: adding a
tag an order has, or removing one it lacks, changes nothing (so a retry is harmless). A
tag must exist first (404 naming it otherwise).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.contract import Call, Operation
from api.routes.desk_inputs import NO_CONTROL, Selection, actor_of, path_number, path_param
from core.desk import tags
from core.desk.selection import selected_numbers

TagName = Annotated[str, msgspec.Meta(min_length=1, max_length=tags.MAX_NAME, pattern=NO_CONTROL)]


class TagList(msgspec.Struct):
    items: list[tags.TagInfo]
    next_cursor: str | None = None  # always null: the whole list in one answer


class BatchTagging(Selection, forbid_unknown_fields=True, kw_only=True):
    add: Annotated[list[TagName], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    remove: Annotated[list[TagName], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )


def _list_tags(call: Call) -> TagList:
    return TagList(tags.list_tags(call.app, actor_of(call)))


def _tag_name(call: Call) -> str:
    return path_param(call, "tag", TagName)


def _add_order_tag(call: Call) -> tags.TaggingResult:
    number, name = path_number(call), _tag_name(call)
    return tags.tag_orders(call.app, actor_of(call), [number], add=[name])


def _remove_order_tag(call: Call) -> tags.TaggingResult:
    number, name = path_number(call), _tag_name(call)
    return tags.tag_orders(call.app, actor_of(call), [number], remove=[name])


def _tag_orders(call: Call) -> tags.TaggingResult:
    body: BatchTagging = call.body
    numbers = selected_numbers(call.app, actor_of(call), body.orders, body.filter)
    return tags.tag_orders(call.app, actor_of(call), numbers, add=body.add, remove=body.remove)


OPERATIONS = (
    Operation(
        "GET",
        "/v1/tags",
        "The org's tags with their colours and how many orders carry each",
        _list_tags,
        TagList,
        permission="order.view",
        tags=("tags",),
    ),
    Operation(
        "PUT",
        "/v1/orders/{number}/tags/{tag}",
        "Tag one order (nothing changes if it has the tag)",
        _add_order_tag,
        tags.TaggingResult,
        permission="order.edit",
        errors=(404,),
        tags=("tags",),
    ),
    Operation(
        "DELETE",
        "/v1/orders/{number}/tags/{tag}",
        "Take a tag off one order (nothing changes if it lacks the tag)",
        _remove_order_tag,
        tags.TaggingResult,
        permission="order.edit",
        errors=(404,),
        tags=("tags",),
    ),
    Operation(
        "POST",
        "/v1/orders/tags",
        "Add and remove tags on the orders named or a filter selects, all or nothing",
        _tag_orders,
        tags.TaggingResult,
        request=BatchTagging,
        permission="order.edit",
        errors=(404,),
        tags=("tags",),
    ),
)
