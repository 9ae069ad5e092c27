"""标签: an org's own tags (紧急订单, 国内快递 …) with colours, and tagging orders with them.

A tag is a name of at most 32 characters, unique in the org, with a colour from a fixed
palette that every front end can draw (`PALETTE`; Chinese colour words are accepted
too). Tagging is a set operation on many orders at once: adding a tag an order has, or
removing one it lacks, changes nothing, so the same call can be repeated. Either the whole
call applies or nothing does: an order number not in the org fails it, naming the number.

Tag definitions and tagging need `order.edit`; listing tags needs `order.view`. A tagging
writes one audit event per order it changed, filed under that order (so `orders show`
has it in the order's trail), all in one flush; deleting a tag records how many orders
lost it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.desk import edits, lookup
from core.errors import Conflict, NotFound, ValidationError
from core.models import OrderTag, Tag

MAX_NAME = 32
#: The colours a tag may have: names every front end maps to its own red, blue …
PALETTE = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "grey")
DEFAULT_COLOUR = "grey"
_COLOUR_WORDS = {
    "红": "red",
    "橙": "orange",
    "黄": "yellow",
    "绿": "green",
    "青": "cyan",
    "蓝": "blue",
    "紫": "purple",
    "灰": "grey",
    "gray": "grey",
}


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    colour: str
    orders: int = 0  # how many orders carry it


@dataclass
class TaggingResult:
    """Per tag name: the order numbers it was added to or removed from by this call."""

    orders: int = 0
    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)


def check_name(name: object) -> str:
    text = edits.check_text(name, "name", MAX_NAME)
    if text.startswith("-"):
        raise ValidationError(f"tag name {text!r} must not start with '-'", field="name")
    return text


def check_colour(colour: object) -> str:
    text = colour.strip().lower() if isinstance(colour, str) else ""
    text = _COLOUR_WORDS.get(text.removesuffix("色"), text)
    if text not in PALETTE:
        raise ValidationError(
            f"colour {str(colour)[:20]!r} is not in the palette: {', '.join(PALETTE)}",
            field="colour",
        )
    return text


def list_tags(app: App, actor: Actor) -> list[TagInfo]:
    """The org's tags by name, with how many orders carry each (order.view)."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        counts = (
            select(OrderTag.tag_id, func.count().label("n"))
            .where(OrderTag.org_id == actor.org_id)
            .group_by(OrderTag.tag_id)
            .subquery()
        )
        rows = session.execute(
            select(Tag, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.tag_id == Tag.id)
            .where(Tag.org_id == actor.org_id)
            .order_by(Tag.name)
        )
        return [TagInfo(t.id, t.name, t.color, n) for t, n in rows]


def create_tag(app: App, actor: Actor, name: str, colour: str = DEFAULT_COLOUR) -> TagInfo:
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        name, colour = check_name(name), check_colour(colour)
        _refuse_taken(session, actor, name)
        tag = Tag(org_id=actor.org_id, name=name, color=colour, created_by=actor.user_id)
        session.add(tag)
        _flush_name(session, name)
        audit.record(
            session,
            "tag.create",
            actor=actor,
            target_type="tag",
            target_id=tag.id,
            after={"name": name, "colour": colour},
        )
        return TagInfo(tag.id, tag.name, tag.color)


def rename_tag(app: App, actor: Actor, old: str, new: str) -> TagInfo:
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        new = check_name(new)
        tag = _tag(session, actor, old)
        if tag.name != new:
            _refuse_taken(session, actor, new)
            audit.record(
                session,
                "tag.rename",
                actor=actor,
                target_type="tag",
                target_id=tag.id,
                before={"name": tag.name},
                after={"name": new},
            )
            tag.name = new
            _flush_name(session, new)
        return TagInfo(tag.id, tag.name, tag.color)


def recolour_tag(app: App, actor: Actor, name: str, colour: str) -> TagInfo:
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        colour = check_colour(colour)
        tag = _tag(session, actor, name)
        if tag.color != colour:
            audit.record(
                session,
                "tag.recolour",
                actor=actor,
                target_type="tag",
                target_id=tag.id,
                before={"colour": tag.color},
                after={"colour": colour},
                detail=tag.name,
            )
            tag.color = colour
        return TagInfo(tag.id, tag.name, tag.color)


def delete_tag(app: App, actor: Actor, name: str) -> int:
    """Delete a tag and take it off every order; returns how many orders had it."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        tag = _tag(session, actor, name)
        removed = session.execute(
            delete(OrderTag).where(OrderTag.org_id == actor.org_id, OrderTag.tag_id == tag.id)
        ).rowcount
        audit.record(
            session,
            "tag.delete",
            actor=actor,
            target_type="tag",
            target_id=tag.id,
            before={"name": tag.name, "colour": tag.color},
            after={"orders_untagged": removed},
        )
        session.delete(tag)
        return removed


def tag_orders(
    app: App,
    actor: Actor,
    numbers: Sequence[str],
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> TaggingResult:
    """Add tags to and remove tags from orders by number, in one transaction (order.edit)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        adding = list(dict.fromkeys(check_name(n) for n in add))
        removing = list(dict.fromkeys(check_name(n) for n in remove))
        if not adding and not removing:
            raise ValidationError("name a tag to add or to remove", field="tags")
        both = set(adding) & set(removing)
        if both:
            raise ValidationError(
                f"tag {', '.join(sorted(both))} is both added and removed", field="tags"
            )
        tags = _tags(session, actor, adding + removing)
        found = lookup.find_orders(session, actor.org_id, lookup.order_numbers(numbers))
        number_of = {row.id: number for number, row in found.items()}
        result = TaggingResult(orders=len(found))
        for name in adding:
            ids = _absent(session, actor.org_id, tags[name].id, list(number_of))
            if ids:
                session.execute(
                    insert(OrderTag),
                    [{"order_id": i, "tag_id": tags[name].id, "org_id": actor.org_id} for i in ids],
                )
            result.added[name] = [number_of[i] for i in ids]
        for name in removing:
            ids = _present(session, actor.org_id, tags[name].id, list(number_of))
            for start in range(0, len(ids), lookup.LOOKUP_CHUNK):
                session.execute(
                    delete(OrderTag).where(
                        OrderTag.org_id == actor.org_id,
                        OrderTag.tag_id == tags[name].id,
                        OrderTag.order_id.in_(ids[start : start + lookup.LOOKUP_CHUNK]),
                    )
                )
            result.removed[name] = [number_of[i] for i in ids]
        _audit_tagging(session, actor, result, number_of)
        return result


def _audit_tagging(
    session: Session, actor: Actor, result: TaggingResult, number_of: dict[int, str]
) -> None:
    """One event per order whose tags changed (its own trail shows it), in one flush."""
    id_of = {number: order_id for order_id, number in number_of.items()}
    changes: dict[str, dict[str, list[str]]] = {}
    for verb, by_tag in (("added", result.added), ("removed", result.removed)):
        for name, numbers in by_tag.items():
            for number in numbers:
                changes.setdefault(number, {"added": [], "removed": []})[verb].append(name)
    audit.record_each(
        session,
        "order.tag",
        [("order", id_of[n], n, None, change) for n, change in changes.items()],
        actor=actor,
    )


def _present(session: Session, org_id: int, tag_id: int, order_ids: list[int]) -> list[int]:
    """Of `order_ids`, those that carry the tag, in the order given."""
    has: set[int] = set()
    for start in range(0, len(order_ids), lookup.LOOKUP_CHUNK):
        has.update(
            session.scalars(
                select(OrderTag.order_id).where(
                    OrderTag.org_id == org_id,
                    OrderTag.tag_id == tag_id,
                    OrderTag.order_id.in_(order_ids[start : start + lookup.LOOKUP_CHUNK]),
                )
            )
        )
    return [i for i in order_ids if i in has]


def _absent(session: Session, org_id: int, tag_id: int, order_ids: list[int]) -> list[int]:
    has = set(_present(session, org_id, tag_id, order_ids))
    return [i for i in order_ids if i not in has]


def _tag(session: Session, actor: Actor, name: str) -> Tag:
    return _tags(session, actor, [edits.check_text(name, "name", MAX_NAME)])[name.strip()]


def _tags(session: Session, actor: Actor, names: list[str]) -> dict[str, Tag]:
    """The org's tags by name; NotFound naming every name that is not one."""
    rows = session.scalars(select(Tag).where(Tag.org_id == actor.org_id, Tag.name.in_(names)))
    tags = {t.name: t for t in rows}
    missing = [n for n in names if n not in tags]
    if missing:
        raise NotFound(
            f"no tag named {', '.join(missing)}; create it first (orderhub tags create NAME)",
            tags=missing,
        )
    return tags


def _flush_name(session: Session, name: str) -> None:
    """Flush a new or renamed tag; another operator taking the name meanwhile is a Conflict."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"the org already has a tag named {name}", field="name") from None


def _refuse_taken(session: Session, actor: Actor, name: str) -> None:
    taken = session.scalar(select(Tag.id).where(Tag.org_id == actor.org_id, Tag.name == name))
    if taken is not None:
        raise Conflict(f"the org already has a tag named {name}", field="name")
