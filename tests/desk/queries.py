"""Hypothesis strategies for filter queries: every key, values from the test world's
vocabulary (so they match some rows), comparisons, ranges, lists, negation, bare words."""

from __future__ import annotations

from hypothesis import strategies as st

from core.desk.query import FLAGS, HUB_STATUSES, REFUNDS, SORTS, SOURCES, TABS, Query, Term, Value
from tests.desk.world import CARRIERS, PHONES, PLACES, REASONS, SHOPS, SKUS, TAGS

BEIJING_DAYS = ("2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22")
BEIJING_TIMES = ("2026-11-20T00:00", "2026-11-20T09:00", "2026-11-20T23:00:00", "2026-11-21T00:59")


def _list(values: st.SearchStrategy[str], most: int = 2) -> st.SearchStrategy[tuple[Value, ...]]:
    return st.lists(values.map(Value), min_size=1, max_size=most).map(tuple)


def _enum(options: tuple[str, ...]) -> st.SearchStrategy[tuple[Value, ...]]:
    return _list(st.sampled_from(options))


times = st.sampled_from(BEIJING_DAYS + BEIJING_TIMES)
time_values = st.one_of(
    times.map(Value),
    st.builds(Value, times, st.sampled_from((">", ">=", "<", "<="))),
    st.builds(lambda a, b: Value(a, "..", b), times, st.just("")),
    st.builds(lambda a, b: Value("", "..", b), st.just(""), times),
    st.sampled_from(BEIJING_DAYS).map(lambda d: Value(d, "..", "2026-11-22")),
)
due_values = st.one_of(
    time_values,
    st.sampled_from(("overdue", "today")).map(Value),
    st.builds(lambda op, h: Value(f"{h}h", op), st.sampled_from(("<", "<=")), st.integers(1, 72)),
)


def value_strategies(waybills: list[str]) -> dict[str, st.SearchStrategy[tuple[Value, ...]]]:
    return {
        "status": _enum(TABS),
        "hub": _enum(HUB_STATUSES),
        "refund": _enum(REFUNDS),
        "source": _enum(SOURCES),
        "shop": _enum((*(n for n, _ in SHOPS), "没有这家")),
        "platform": _enum(tuple(p for _, p in SHOPS)),
        "created": st.lists(time_values, min_size=1, max_size=2).map(tuple),
        "paid": st.lists(time_values, min_size=1, max_size=2).map(tuple),
        "due": st.lists(due_values, min_size=1, max_size=2).map(tuple),
        "province": _enum(tuple({p[0] for p in PLACES})),
        "city": _enum(tuple({p[1] for p in PLACES})),
        "district": _enum(tuple({p[2] for p in PLACES})),
        "carrier": _enum(tuple(c for pair in CARRIERS for c in pair)),
        "sku": _enum((*SKUS, "CUP-R", "LID")),
        "outer_id": _enum(("CUP-R", "LID", "nope")),
        "title": _enum(("红色", "红色 L", "cup", "TEA", "500ml", "杯")),
        "tag": _enum(TAGS),
        "flag": _enum(FLAGS),
        "memo": _enum(("yes", "no")),
        "remark": _enum(("yes", "no")),
        "hold": _enum(("yes", "no")),
        "printed": _enum(("yes", "no", "any")),
        "exception": _enum(("yes", "no", *REASONS)),
        "order": st.just(()),  # filled from the world by the test
        "waybill": _enum(tuple(waybills) or ("NONE1",)),
        "phone": _enum((*PHONES, "139 0000 2222", "8613812345678")),
    }


def terms(strategies: dict, keys: st.SearchStrategy[str]) -> st.SearchStrategy[Term]:
    return keys.flatmap(
        lambda key: st.builds(
            lambda values, negated: Term(key, values, negated), strategies[key], st.booleans()
        )
    )


words = st.builds(
    lambda w, n: Term("", (Value(w),), n),
    st.sampled_from(("红色", "sku-2", "LID", "cup", "杯盖", "nothing")),
    st.booleans(),
)


def queries(strategies: dict, *, sort: bool = True) -> st.SearchStrategy[Query]:
    keys = st.sampled_from(sorted(k for k, v in strategies.items() if k != "order"))
    term = st.one_of(terms(strategies, keys), words)
    return st.builds(
        Query,
        st.lists(term, max_size=3).map(tuple),
        st.sampled_from(("", *SORTS)) if sort else st.just(""),
        st.one_of(st.none(), st.integers(1, 10_000)),
    )


def any_queries() -> st.SearchStrategy[Query]:
    """Queries whose values are any text (for round trips), not only the world's."""
    text = st.text(min_size=1, max_size=12).filter(
        lambda t: t.strip() == t and t and all(ord(c) >= 32 and c != "\x7f" for c in t)
    )
    free = st.builds(
        lambda key, values, negated: Term(key, values, negated),
        st.sampled_from(("shop", "province", "title", "tag", "order", "carrier")),
        st.lists(text.map(Value), min_size=1, max_size=3).map(tuple),
        st.booleans(),
    )
    bare = st.builds(lambda w, n: Term("", (Value(w),), n), text, st.booleans())
    every = queries(value_strategies(["YT1"]))
    return st.one_of(
        every,
        st.builds(Query, st.lists(st.one_of(free, bare), max_size=4).map(tuple)),
    )
