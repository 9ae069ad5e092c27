"""The desk's filter language, decided in plain Python over the specs the rows were made
from: what `core.desk.search` must agree with, written apart from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.desk.query import Query, Term, Value
from tests.desk.world import CARRIERS, PLACES, SHOPS, Stored

BEIJING = ZoneInfo("Asia/Shanghai")
OPEN = ("pending", "audited", "printed")


def tab(o: Stored) -> str:
    s = o.spec
    if s.hub in OPEN and s.on_hold:
        return "on_hold"
    if s.hub in OPEN and s.reasons:
        return "exception"
    return s.hub


def matches(o: Stored, query: Query, now: datetime) -> bool:
    return all(_term(o, t, now) for t in query.terms)


def _term(o: Stored, term: Term, now: datetime) -> bool:
    if not term.key:
        found = _word(o, term.values[0].text)
    elif term.key in ("memo", "remark", "hold", "printed"):
        found = _yes_no(o, term)
    else:
        found = any(_value(o, term.key, v, now) for v in term.values)
    return not found if term.negated else found


def _digits(text: str) -> str:
    digits = "".join(c for c in text if c.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _word(o: Stored, word: str) -> bool:
    return any(
        word.lower() in ln.title.lower() or word in (ln.sku, ln.outer_id) for ln in o.spec.lines
    )


def _yes_no(o: Stored, term: Term) -> bool:
    s = o.spec
    wanted = {v.text for v in term.values}
    if wanted >= {"yes", "no"} or "any" in wanted:
        return True
    state = {
        "memo": bool(s.memo),
        "remark": bool(s.remark or s.local_remark),
        "hold": s.on_hold,
        "printed": s.print_state in ("done", "uncertain", "sending"),
    }[term.key]
    return state if "yes" in wanted else not state


def _value(o: Stored, key: str, v: Value, now: datetime) -> bool:
    s, text = o.spec, v.text
    province, city, district = PLACES[s.place]
    if key == "status":
        return tab(o) == text
    if key == "hub":
        return s.hub == text
    if key == "refund":
        return s.refund == text
    if key == "source":
        return s.source == text
    if key == "shop":
        return SHOPS[s.shop][0] == text
    if key == "platform":
        return SHOPS[s.shop][1] == text
    if key in ("province", "city", "district"):
        return {"province": province, "city": city, "district": district}[key] == text
    if key == "carrier":
        assigned = s.assigned is not None and text in CARRIERS[s.assigned]
        waybill = s.waybill is not None and s.waybill_active and text in CARRIERS[s.waybill]
        return assigned or waybill
    if key == "sku":
        return any(text in (ln.sku, ln.outer_id) for ln in s.lines)
    if key == "outer_id":
        return any(text == ln.outer_id for ln in s.lines)
    if key == "title":
        return any(text.lower() in ln.title.lower() for ln in s.lines)
    if key == "tag":
        return text in s.tags
    if key == "flag":
        effective = s.local_flag or s.flag
        return effective == ("" if text == "none" else text)
    if key == "exception":
        if text in ("yes", "no"):
            return bool(s.reasons) == (text == "yes")
        return text in s.reasons
    if key == "order":
        return o.number == text
    if key == "waybill":
        return o.waybill_number == text
    if key == "phone":
        return s.phone is not None and _digits(s.phone) == _digits(text)
    if key in ("paid", "created"):
        return _in_time(s.paid if key == "paid" else s.created, v)
    if key == "due":
        return _due(o, v, now)
    raise AssertionError(f"no reference for {key}")


def _bounds(text: str) -> tuple[datetime, datetime]:
    if "T" in text:
        at = datetime.fromisoformat(text).replace(tzinfo=BEIJING).astimezone(UTC)
        return at, at + (timedelta(seconds=1) if len(text) > 16 else timedelta(minutes=1))
    day = date.fromisoformat(text)
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)
    return start, start + timedelta(days=1)


def _in_time(at: datetime | None, v: Value) -> bool:
    if at is None:
        return False
    if v.op == "..":
        low = not v.text or at >= _bounds(v.text)[0]
        return low and (not v.high or at < _bounds(v.high)[1])
    start, end = _bounds(v.text)
    return {
        "=": start <= at < end,
        ">": at >= end,
        ">=": at >= start,
        "<": at < start,
        "<=": at < end,
    }[v.op]


def _due(o: Stored, v: Value, now: datetime) -> bool:
    due = o.spec.due
    if v.text in ("overdue", "today") or v.text.endswith("h"):
        if due is None or o.spec.hub not in OPEN:
            return False
        if v.text == "overdue":
            return due < now
        if v.text == "today":
            return due.astimezone(BEIJING).date() == now.astimezone(BEIJING).date()
        ahead = now + timedelta(hours=int(v.text[:-1]))
        return now <= due and (due < ahead if v.op == "<" else due <= ahead)
    return _in_time(due, v)
