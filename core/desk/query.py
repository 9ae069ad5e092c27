"""The desk's filter language: one parser for the CLI, `print --filter`, the API and the TUI.

    status:audited province:浙江省 paid:>2026-11-01 tag:紧急 -flag:red 保温杯

Terms are separated by spaces. A term is `key:value` (or the older `key=value` that
`print --filter` scripts use), `-key:value` to negate it, or a bare word, which matches
goods titles (contains), SKU ids and outer ids (exact). A value may be a comma list
(`status:pending,audited`, any of them), a comparison (`paid:>2026-11-01`,
`paid:<=2026-11-05`), a range (`paid:2026-11-01..2026-11-05`, either end may be left
open) or quoted (`title:"红色 L"`; `\\"` inside quotes is a quote). Every term must hold.

Keys (values; see docs/guide.md for the full table):

- `status`: a desk tab — pending 待审, exception 异常, audited 已审, on_hold 挂起,
  printed 已打印, shipped 已发货, completed 已签收, cancelled 已取消, refunded 已退款;
  `hub`: the raw hub status (whatever the tab); `refund`: none, in_progress, refunded,
  unknown; `source`: sync, import, manual; `shop`, `platform`: names.
- `created`, `paid`: Beijing dates `2026-11-01` (the whole day) or times
  `2026-11-01T14:30`, with comparisons and ranges; `due`: the promised ship-by time —
  `overdue`, `today`, `<24h` / `<=24h` (due within N hours, not yet overdue; these three
  count only orders still to ship), or dates/times like `paid`.
- `province`, `city`, `district`: exact; `carrier`: carrier account name or carrier code,
  assigned or of a waybill; `sku` (sku id or outer id), `outer_id`: exact; `title`: words
  the goods title contains; `tag`: the operators' tag name.
- `flag`: the effective seller flag (red, yellow, green, blue, purple, none); `memo`,
  `remark`, `hold`: yes|no; `printed`: yes|no|any; `exception`: yes|no or a reason code.
- `order`, `waybill`, `phone`: exact numbers (the phone through its keyed hash).
- `sort`: paid, created, due or id, `-` first for newest first; `limit`: 1 to 10000.
- Older `print --filter` keys: `paid_from=D` is `paid:>=D`, `paid_to=D` is `paid:<=D`.

`parse(text)` gives a `Query`, a frozen tree whose `format()` is canonical:
`parse(q.format()) == q`. Errors are `ValidationError(field="filter")` naming the token and
its column (1-based, in characters); `details["pointer"]` holds the text with a caret line
under the token, for front ends that can show two lines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from core.errors import ValidationError

TABS = (
    "pending",
    "exception",
    "audited",
    "on_hold",
    "printed",
    "shipped",
    "completed",
    "cancelled",
    "refunded",
)
TAB_ALIASES = {
    "待审": "pending",
    "异常": "exception",
    "已审": "audited",
    "挂起": "on_hold",
    "on-hold": "on_hold",
    "hold": "on_hold",
    "已打印": "printed",
    "已发货": "shipped",
    "已签收": "completed",
    "已取消": "cancelled",
    "已退款": "refunded",
}
HUB_STATUSES = ("pending", "audited", "printed", "shipped", "completed", "cancelled", "refunded")
REFUNDS = ("none", "in_progress", "refunded", "unknown")
SOURCES = ("sync", "import", "manual")
FLAGS = ("red", "yellow", "green", "blue", "purple", "none")
SORTS = ("paid", "-paid", "created", "-created", "due", "-due", "id", "-id")
MAX_LIMIT = 10_000
MAX_TEXT = 1_000  # characters of a whole filter

# How each key's values are read: enum (one of a list), yesno, text, time, due.
_ENUMS: dict[str, tuple[str, ...]] = {
    "status": TABS,
    "hub": HUB_STATUSES,
    "refund": REFUNDS,
    "source": SOURCES,
    "flag": FLAGS,
    "memo": ("yes", "no"),
    "remark": ("yes", "no"),
    "hold": ("yes", "no"),
    "printed": ("yes", "no", "any"),
}
_TEXT_KEYS = (
    "shop",
    "platform",
    "province",
    "city",
    "district",
    "carrier",
    "sku",
    "outer_id",
    "title",
    "tag",
    "order",
    "waybill",
    "phone",
    "exception",
)
_TIME_KEYS = ("created", "paid", "due")
_SINGLE_KEYS = ("sort", "limit")
KEYS: tuple[str, ...] = (*_ENUMS, *_TEXT_KEYS, *_TIME_KEYS, *_SINGLE_KEYS)
DUE_WORDS = ("overdue", "today", "<24h")


def choices(key: str) -> tuple[str, ...]:
    """The values `key` takes from a fixed list, for front ends that complete a filter as
    it is typed; () for keys whose values are free (names, numbers, times)."""
    if key == "sort":
        return SORTS
    if key == "due":
        return DUE_WORDS
    return _ENUMS.get(key, ())


#: `print --filter`'s older keys and the comparison each stands for.
LEGACY_KEYS = {"paid_from": ("paid", ">="), "paid_to": ("paid", "<=")}
_COMPARISONS = (">=", "<=", ">", "<")
_DUE_HOURS = re.compile(r"(<=?)(\d{1,4})h")
_SAFE_ATOM = re.compile(r"[^\s\"'\\,:=<>\-][^\s\"'\\,:=]*")


@dataclass(frozen=True)
class Value:
    """One alternative of a term: `op` is `=`, a comparison, or `..` (then `text` is the
    low end and `high` the high end; an empty end is open)."""

    text: str
    op: str = "="
    high: str = ""

    def format(self) -> str:
        if self.op == "..":
            return _atom(self.text, open_end=True) + ".." + _atom(self.high, open_end=True)
        return ("" if self.op == "=" else self.op) + _atom(self.text)


@dataclass(frozen=True)
class Term:
    """`key` holds for any of `values`, or for none of them when `negated`. A bare word
    has the key `""` and one value."""

    key: str
    values: tuple[Value, ...]
    negated: bool = False

    def format(self) -> str:
        sign = "-" if self.negated else ""
        if not self.key:
            return sign + _atom(self.values[0].text)
        return f"{sign}{self.key}:" + ",".join(v.format() for v in self.values)


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()
    sort: str = ""  # "" = the caller's default
    limit: int | None = None

    def format(self) -> str:
        parts = [t.format() for t in self.terms]
        if self.sort:
            parts.append(f"sort:{self.sort}")
        if self.limit is not None:
            parts.append(f"limit:{self.limit}")
        return " ".join(parts)

    def with_terms(self, *terms: Term) -> Query:
        return Query((*self.terms, *terms), self.sort, self.limit)

    def key_names(self) -> set[str]:
        return {t.key for t in self.terms}


# ---------------------------------------------------------------- formatting


def _atom(text: str, *, open_end: bool = False) -> str:
    if open_end and text == "":
        return ""
    if _SAFE_ATOM.fullmatch(text) and ".." not in text:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- parsing


@dataclass
class _Scanner:
    """The filter text being read, so that every error can point into it."""

    text: str

    def fail(
        self, message: str, start: int, end: int | None = None, hint: str = ""
    ) -> ValidationError:
        """The error for the token at [start, end): its column, a hint, a caret line."""
        end = max(end if end is not None else start + 1, start + 1)
        pointer = self.text + "\n" + " " * start + "^" * (min(end, len(self.text) + 1) - start)
        return ValidationError(
            f"filter: {message} at column {start + 1}{hint}",
            field="filter",
            column=start + 1,
            pointer=pointer,
        )


def parse(text: str | None) -> Query:
    """A `Query` from filter text (see the module docstring); `ValidationError` otherwise."""
    text = text or ""
    scan = _Scanner(text)
    if len(text) > MAX_TEXT:
        raise scan.fail(f"a filter is at most {MAX_TEXT} characters", MAX_TEXT, len(text))
    for i, ch in enumerate(text):
        if (ord(ch) < 32 and not ch.isspace()) or ch == "\x7f":
            raise scan.fail(f"control character {ch!r} is not allowed", i)
    terms: list[Term] = []
    sort, limit = "", None
    for start, end in _split_terms(scan):
        found = _term(scan, start, end)
        if found.key == "sort" or found.key == "limit":
            if (sort if found.key == "sort" else limit) not in ("", None):
                raise scan.fail(f"{found.key} is given twice", start, end)
            if found.key == "sort":
                sort = found.values[0].text
            else:
                limit = int(found.values[0].text)
            continue
        terms.append(found)
    return Query(tuple(terms), sort, limit)


def _split_terms(scan: _Scanner) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-separated term; quotes may hold spaces."""
    text, spans, i = scan.text, [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        start, quote = i, ""
        while i < len(text) and (quote or not text[i].isspace()):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote, opened = ch, i
            i += 1
        if quote:
            raise scan.fail("quote not closed", opened, len(text))
        spans.append((start, i))
    return spans


def _term(scan: _Scanner, start: int, end: int) -> Term:
    text = scan.text
    negated = text[start] == "-"
    body = start + 1 if negated else start
    if body == end:
        raise scan.fail("'-' needs a term after it", start)
    match = re.match(r"([A-Za-z_]+)([:=])", text[body:end])
    if not match:
        word = _unquote(scan, body, end)
        if not word.strip():
            raise scan.fail("an empty word", start, end)
        return Term("", (Value(word),), negated)
    key = match.group(1).lower()
    value_at = body + match.end()
    op = "="
    if key in LEGACY_KEYS:
        key, op = LEGACY_KEYS[key]
    elif key not in KEYS:
        hint = difflib.get_close_matches(key, [*KEYS, *LEGACY_KEYS], n=1, cutoff=0.6)
        more = f"; did you mean {hint[0]!r}?" if hint else f"; keys are {', '.join(KEYS)}"
        raise scan.fail(f"unknown key {key!r}", body, body + len(match.group(1)), more)
    if value_at == end:
        raise scan.fail(f"{key} needs a value", start, end)
    if negated and key in _SINGLE_KEYS:
        raise scan.fail(f"{key} cannot be negated", start, end)
    values = tuple(_value(scan, key, a, b) for a, b in _split_commas(scan, value_at, end))
    if op != "=":
        values = tuple(Value(v.text, op) if v.op == "=" else v for v in values)
        bad = next((v for v in values if v.op == ".."), None)
        if bad is not None:
            raise scan.fail(f"{match.group(1)} takes a date, not a range", value_at, end)
        values = tuple(_check_time(scan, key, v, value_at, end) for v in values)
    if key in _SINGLE_KEYS and len(values) > 1:
        raise scan.fail(f"{key} takes one value", value_at, end)
    return Term(key, values, negated)


def _split_commas(scan: _Scanner, start: int, end: int) -> list[tuple[int, int]]:
    spans, at = [], start
    for i in _outside_quotes(scan.text, start, end):
        if scan.text[i] == ",":
            spans.append((at, i))
            at = i + 1
    spans.append((at, end))
    return spans


def _outside_quotes(text: str, start: int, end: int) -> Iterator[int]:
    """Indices in [start, end) of the characters outside quotes (quote marks, and what a
    backslash escapes inside quotes, excluded)."""
    quote, i = "", start
    while i < end:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        else:
            yield i
        i += 1


def _unquote(scan: _Scanner, start: int, end: int) -> str:
    out, quote, i, text = [], "", start, scan.text
    while i < end:
        ch = text[i]
        if quote:
            if ch == "\\" and i + 1 < end:
                i += 1
                out.append(text[i])
            elif ch == quote:
                quote = ""
            else:
                out.append(ch)
        elif ch in "\"'":
            quote = ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _range_split(scan: _Scanner, start: int, end: int) -> int | None:
    """Where an unquoted `..` starts in the value, or None."""
    return next(
        (i for i in _outside_quotes(scan.text, start, end - 1) if scan.text.startswith("..", i)),
        None,
    )


def _value(scan: _Scanner, key: str, start: int, end: int) -> Value:
    raw = scan.text[start:end]
    if not raw:
        raise scan.fail(f"{key} has an empty value in its list", max(start - 1, 0))
    op = next((c for c in _COMPARISONS if raw.startswith(c)), "")
    if op:
        value = Value(_unquote(scan, start + len(op), end), op)
    elif (cut := _range_split(scan, start, end)) is not None:
        value = Value(_unquote(scan, start, cut), "..", _unquote(scan, cut + 2, end))
        if not value.text and not value.high:
            raise scan.fail("a range needs at least one end", start, end)
    else:
        value = Value(_unquote(scan, start, end))
    if value.op == "=" and not value.text:
        raise scan.fail(f"{key} has an empty value", start, end)
    if key in _TIME_KEYS:
        return _check_time(scan, key, value, start, end)
    if value.op != "=":
        what = "range" if value.op == ".." else f"comparison {op}"
        raise scan.fail(f"{key} takes no {what} (only created, paid and due do)", start, end)
    if key in _ENUMS:
        word = value.text.lower()
        if key == "status":
            word = TAB_ALIASES.get(word, word)
        if word not in _ENUMS[key]:
            raise scan.fail(
                f"{key} {value.text!r} is not one of {', '.join(_ENUMS[key])}", start, end
            )
        return Value(word)
    if key == "sort":
        if value.text.lower() not in SORTS:
            raise scan.fail(f"sort {value.text!r} is not one of {', '.join(SORTS)}", start, end)
        return Value(value.text.lower())
    if key == "limit":
        digits = value.text
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 6) or not (
            1 <= int(digits) <= MAX_LIMIT
        ):
            raise scan.fail(f"limit must be 1 to {MAX_LIMIT}", start, end)
        return Value(str(int(digits)))
    if key == "phone" and len(re.findall(r"\d", value.text)) < 5:
        raise scan.fail("phone needs at least 5 digits", start, end)
    return value


def _check_time(scan: _Scanner, key: str, value: Value, start: int, end: int) -> Value:
    if key == "due" and value.op == "=" and value.text.lower() in ("overdue", "today"):
        return Value(value.text.lower())
    if key == "due" and value.op in ("<", "<=") and re.fullmatch(r"\d{1,4}h", value.text.lower()):
        return Value(value.text.lower(), value.op)
    for text in (value.text, value.high) if value.op == ".." else (value.text,):
        if text and parse_time(text) is None:
            extra = ", overdue, today or <Nh" if key == "due" else ""
            raise scan.fail(
                f"{key} {text!r} is not a date YYYY-MM-DD or time YYYY-MM-DDTHH:MM{extra}",
                start,
                end,
            )
    if value.op == ".." and value.text and value.high:
        low, high = parse_time(value.text), parse_time(value.high)
        if low is not None and high is not None and _as_start(low) > _as_start(high):
            raise scan.fail(f"{key} range ends before it starts", start, end)
    return value


_TIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?")


def parse_time(text: str) -> date | datetime | None:
    """A Beijing date (`2026-11-01`) or naive Beijing time (`2026-11-01T14:30`), or None."""
    if not _TIME_SHAPE.fullmatch(text):
        return None
    try:
        found = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None
    if found.year < 2 or found.year > 9998:
        return None
    return found


def _as_start(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
