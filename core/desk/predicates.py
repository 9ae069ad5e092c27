"""The desk's filter terms as SQL: one `ColumnElement` per `core.desk.query.Term`.

Kept apart from the parser (pure text) and from the search (paging, counts) so that the
order list, the tab counts and `print --filter` compile a query the same way. Every
sub-query here is scoped by the org, so a term can never reach another org's shops, tags,
carrier accounts or waybills. What each key means is documented in `core.desk.query`.

A negated term is `NOT COALESCE(term, false)`: a comparison with a NULL column (an order
without a payment time) counts as "does not hold", so `-paid:>D` keeps such orders, as
the plain reading of the filter says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute

from core.clock import SHANGHAI
from core.crypto import Keyring
from core.desk.query import Query, Term, Value, parse_time
from core.masking import normalise_phone
from core.models import (
    CarrierAccount,
    Order,
    OrderLine,
    OrderTag,
    PackageLine,
    PrintJobItem,
    Shop,
    Tag,
    Waybill,
)
from core.models.base import json_text
from core.models.packages import ACTIVE_WAYBILL_STATUSES

#: Hub statuses of orders still to ship: the tabs on_hold/exception and `due:` look at these.
OPEN = ("pending", "audited", "printed")
#: Print items that count as "printed" (sent, or maybe sent: never print those again blindly).
PRINTED_STATES = ("done", "uncertain", "sending")
PHONE_PURPOSE = "receiver_phone"


@dataclass(frozen=True)
class Scope:
    """What compiling needs beyond the query: the org, the keyring (phone hashes), now.
    `org_id` may be the bind parameter `ORG` (see `shared_where`)."""

    org_id: int | ColumnElement[int]
    keyring: Keyring
    now: datetime


#: The org as a bind parameter (no value: a statement built with it must be given `org`).
ORG = bindparam("org", type_=Integer)
#: Keys whose SQL depends on more than the filter's text and the org: the time (`due:`
#: overdue/today/hours) and the installation's keyring (`phone:` hashes).
_VARYING_KEYS = frozenset({"due", "phone"})


def where(query: Query, scope: Scope) -> list[ColumnElement[bool]]:
    """The org's scope plus one clause per term of `query`."""
    return [Order.org_id == scope.org_id, *(term_clause(t, scope) for t in query.terms)]


def reusable(query: Query) -> bool:
    """Whether `query`'s clauses depend only on its text and the org, so that the clauses
    of `shared_where` serve every org and every request."""
    return not any(t.key in _VARYING_KEYS for t in query.terms)


def shared_where(query: Query) -> list[ColumnElement[bool]]:
    """`where` for a `reusable` query with the org left as the bind parameter `ORG`: a
    statement built from it once answers any org's request, given `{"org": org_id}`
    (building the statement costs more CPU than SQLite running it, core.desk.search)."""
    if not reusable(query):
        raise ValueError(f"the filter {query.format()!r} depends on the time or the keyring")
    return [Order.org_id == ORG, *(_shared_term(t) for t in query.terms)]


@lru_cache(maxsize=4096)
def _shared_term(term: Term) -> ColumnElement[bool]:
    """One term's clause with the org as `ORG`, built once per process: filters new as a
    whole are mostly terms seen before (the tab, a province, a tag), and building the
    clauses was most of what a filter not yet seen cost (SQLAlchemy clauses are immutable:
    one serves every statement it is part of). No clause of a reusable term reads the
    keyring or the time: None fails loudly if one ever does."""
    return term_clause(term, Scope(ORG, None, None))  # type: ignore[arg-type]


def term_clause(term: Term, scope: Scope) -> ColumnElement[bool]:
    clause = _words(term.values, scope) if not term.key else _BUILDERS[term.key](term, scope)
    return not_(func.coalesce(clause, false())) if term.negated else clause


def tab_clause(tab: str) -> ColumnElement[bool]:
    """The desk's tabs split every order into exactly one: held and exception orders still
    to ship have their own tabs, ahead of their hub status; closed statuses are their own."""
    if tab == "on_hold":
        return and_(Order.on_hold == true(), any_of(Order.hub_status, OPEN))
    if tab == "exception":
        return and_(
            Order.on_hold == false(), Order.in_exception == true(), any_of(Order.hub_status, OPEN)
        )
    if tab in OPEN:
        return and_(
            Order.hub_status == tab, Order.on_hold == false(), Order.in_exception == false()
        )
    return Order.hub_status == tab


def tab_of(hub_status: str, on_hold: bool, in_exception: bool) -> str:
    """The tab an order is in (the same split as `tab_clause`)."""
    if hub_status in OPEN and on_hold:
        return "on_hold"
    if hub_status in OPEN and in_exception:
        return "exception"
    return hub_status


def any_of(column: ColumnElement, values: Sequence[object]) -> ColumnElement[bool]:
    """`column IN (…)` with one plain bind parameter per value. `column.in_(list)` is an
    "expanding" parameter whose SQL SQLAlchemy rewrites on every execution (≈ 8 % of an API
    search's CPU with four of them); here a built statement's text is fixed, so it is
    compiled once and SQLite's and PostgreSQL's statement caches keep it."""
    return column.in_([literal(value, column.type) for value in values])


def printed_clause() -> ColumnElement[bool]:
    """A label of one of the order's packages was sent to a printer."""
    return exists(
        select(PrintJobItem.id)
        .join(PackageLine, PackageLine.package_id == PrintJobItem.package_id)
        .where(
            PackageLine.order_id == Order.id,
            PrintJobItem.kind == "label",
            any_of(PrintJobItem.state, PRINTED_STATES),
        )
    )


def effective_flag() -> ColumnElement[str]:
    """The local flag when an operator set one, else the platform's flag."""
    return func.coalesce(func.nullif(Order.local_flag, ""), Order.flag_color, "")


def phone_hash(keyring: Keyring, phone: str) -> str:
    return keyring.keyed_hash(normalise_phone(phone), PHONE_PURPOSE)


# ---------------------------------------------------------------- one builder per key


def _texts(term: Term) -> list[str]:
    return [v.text for v in term.values]


def _column_in(column: InstrumentedAttribute) -> Callable[[Term, Scope], ColumnElement[bool]]:
    return lambda term, scope: any_of(column, _texts(term))


def _yes_no(clause: Callable[[], ColumnElement[bool]]) -> Callable[[Term, Scope], ColumnElement]:
    def build(term: Term, scope: Scope) -> ColumnElement[bool]:
        wanted = {v.text for v in term.values}
        if wanted >= {"yes", "no"} or "any" in wanted:
            return true()
        return clause() if "yes" in wanted else not_(clause())

    return build


def _status(term: Term, scope: Scope) -> ColumnElement[bool]:
    return or_(*(tab_clause(t) for t in _texts(term)))


def _shops(column: InstrumentedAttribute) -> Callable[[Term, Scope], ColumnElement[bool]]:
    def build(term: Term, scope: Scope) -> ColumnElement[bool]:
        ids = select(Shop.id).where(Shop.org_id == scope.org_id, any_of(column, _texts(term)))
        return Order.shop_id.in_(ids)

    return build


def _carrier(term: Term, scope: Scope) -> ColumnElement[bool]:
    names = _texts(term)
    accounts = select(CarrierAccount.id).where(
        CarrierAccount.org_id == scope.org_id,
        or_(any_of(CarrierAccount.name, names), any_of(CarrierAccount.wp_code, names)),
    )
    on_waybill = exists(
        select(Waybill.id)
        .join(PackageLine, PackageLine.package_id == Waybill.package_id)
        .where(
            PackageLine.order_id == Order.id,
            any_of(Waybill.status, ACTIVE_WAYBILL_STATUSES),
            Waybill.carrier_account_id.in_(accounts),
        )
    )
    return or_(Order.assigned_carrier_account_id.in_(accounts), on_waybill)


def _line(*clauses: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(select(OrderLine.id).where(OrderLine.order_id == Order.id, *clauses))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _sku(term: Term, scope: Scope) -> ColumnElement[bool]:
    wanted = _texts(term)
    return _line(or_(any_of(OrderLine.platform_sku_id, wanted), any_of(OrderLine.outer_id, wanted)))


def _title(term: Term, scope: Scope) -> ColumnElement[bool]:
    return _line(or_(*(OrderLine.title.ilike(_like(w), escape="\\") for w in _texts(term))))


def _words(values: tuple[Value, ...], scope: Scope) -> ColumnElement[bool]:
    word = values[0].text
    return _line(
        or_(
            OrderLine.title.ilike(_like(word), escape="\\"),
            OrderLine.platform_sku_id == word,
            OrderLine.outer_id == word,
        )
    )


def _tag(term: Term, scope: Scope) -> ColumnElement[bool]:
    # The names become ids once (an uncorrelated sub-query), then each candidate order is
    # one look-up in order_tags' primary key, instead of a join to tags per candidate.
    tag_ids = select(Tag.id).where(Tag.org_id == scope.org_id, any_of(Tag.name, _texts(term)))
    return exists(
        select(OrderTag.order_id).where(OrderTag.order_id == Order.id, OrderTag.tag_id.in_(tag_ids))
    )


def _flag(term: Term, scope: Scope) -> ColumnElement[bool]:
    return any_of(effective_flag(), ["" if f == "none" else f for f in _texts(term)])


def _exception(term: Term, scope: Scope) -> ColumnElement[bool]:
    found = []
    for code in _texts(term):
        if code in ("yes", "no"):
            found.append(Order.in_exception == (true() if code == "yes" else false()))
            continue
        reasons = cast(Order.exception_reasons, Text)
        found.append(
            and_(Order.in_exception == true(), reasons.like(_like(json_text(code)), escape="\\"))
        )
    return or_(*found)


def _waybill(term: Term, scope: Scope) -> ColumnElement[bool]:
    orders = (
        select(PackageLine.order_id)
        .join(Waybill, Waybill.package_id == PackageLine.package_id)
        .where(Waybill.org_id == scope.org_id, any_of(Waybill.number, _texts(term)))
    )
    return Order.id.in_(orders)


def _phone(term: Term, scope: Scope) -> ColumnElement[bool]:
    hashes = [phone_hash(scope.keyring, p) for p in _texts(term)]
    return and_(Order.receiver_phone_hash.is_not(None), any_of(Order.receiver_phone_hash, hashes))


# ---------------------------------------------------------------- times


def _utc(day: date, at: time = time()) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def bounds(text: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a Beijing date (the day) or time (its minute or second)."""
    found = parse_time(text)
    if isinstance(found, datetime):
        step = timedelta(seconds=1) if found.second or len(text) > 16 else timedelta(minutes=1)
        start = found.replace(tzinfo=SHANGHAI).astimezone(UTC)
        return start, start + step
    if isinstance(found, date):
        return _utc(found), _utc(found + timedelta(days=1))
    raise ValueError(f"not a time: {text!r}")  # the parser let only times through


def time_clause(column: InstrumentedAttribute, value: Value) -> ColumnElement[bool]:
    if value.op == "..":
        parts = [column >= bounds(value.text)[0]] if value.text else []
        parts += [column < bounds(value.high)[1]] if value.high else []
        return and_(column.is_not(None), *parts)
    start, end = bounds(value.text)
    by_op = {
        "=": and_(column >= start, column < end),
        ">": column >= end,
        ">=": column >= start,
        "<": column < start,
        "<=": column < end,
    }
    return and_(column.is_not(None), by_op[value.op])


def _times(column: InstrumentedAttribute) -> Callable[[Term, Scope], ColumnElement[bool]]:
    return lambda term, scope: or_(*(time_clause(column, v) for v in term.values))


def _due(term: Term, scope: Scope) -> ColumnElement[bool]:
    column, now, found = Order.promised_ship_by, scope.now, []
    for value in term.values:
        if value.text == "overdue":
            clause = column < now
        elif value.text == "today":
            today = now.astimezone(SHANGHAI).date()
            clause = and_(column >= _utc(today), column < _utc(today + timedelta(days=1)))
        elif value.text.endswith("h"):
            hours = timedelta(hours=int(value.text[:-1]))
            ahead = column < now + hours if value.op == "<" else column <= now + hours
            clause = and_(column >= now, ahead)
        else:
            found.append(time_clause(column, value))
            continue
        found.append(and_(column.is_not(None), any_of(Order.hub_status, OPEN), clause))
    return or_(*found)


_BUILDERS: dict[str, Callable[[Term, Scope], ColumnElement[bool]]] = {
    "status": _status,
    "hub": _column_in(Order.hub_status),
    "refund": _column_in(Order.refund_status),
    "source": _column_in(Order.source),
    "shop": _shops(Shop.name),
    "platform": _shops(Shop.platform),
    "created": _times(Order.created_at_platform),
    "paid": _times(Order.paid_at),
    "due": _due,
    "province": _column_in(Order.receiver_province),
    "city": _column_in(Order.receiver_city),
    "district": _column_in(Order.receiver_district),
    "carrier": _carrier,
    "sku": _sku,
    "outer_id": lambda term, scope: _line(any_of(OrderLine.outer_id, _texts(term))),
    "title": _title,
    "tag": _tag,
    "flag": _flag,
    "memo": _yes_no(lambda: Order.buyer_memo != ""),
    "remark": _yes_no(lambda: or_(Order.seller_remark != "", Order.local_remark != "")),
    "hold": _yes_no(lambda: Order.on_hold == true()),
    "printed": _yes_no(printed_clause),
    "exception": _exception,
    "order": _column_in(Order.platform_order_no),
    "waybill": _waybill,
    "phone": _phone,
}
