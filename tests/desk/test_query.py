"""The filter language's parser: canonical round trips, the older `key=value` form, and
errors that name the token and its column."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.desk.query import Query, Term, Value, parse
from core.errors import ValidationError
from tests.desk.queries import any_queries


@settings(max_examples=300, deadline=None)
@given(query=any_queries())
def test_format_then_parse_gives_the_same_query(query: Query) -> None:
    assert parse(query.format()) == query


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
@example(text='title:"a\\"b" -"-x"')
@example(text="paid:..2026-11-02,2026-11-05..")
def test_any_text_parses_to_a_canonical_query_or_one_clear_error(text: str) -> None:
    try:
        query = parse(text)
    except ValidationError as exc:
        assert exc.details["field"] == "filter"
        assert 1 <= exc.details["column"] <= len(text) + 1
        assert f"at column {exc.details['column']}" in exc.message
        return
    assert parse(query.format()) == query


def test_the_issue_example_and_the_old_print_form() -> None:
    query = parse("status:audited province:浙江省 paid:>2026-11-01 tag:紧急 -flag:red 保温杯")
    assert query.terms == (
        Term("status", (Value("audited"),)),
        Term("province", (Value("浙江省"),)),
        Term("paid", (Value("2026-11-01", ">"),)),
        Term("tag", (Value("紧急"),)),
        Term("flag", (Value("red"),), negated=True),
        Term("", (Value("保温杯"),)),
    )
    old = parse("status=audited limit=200 paid_from=2026-11-01 paid_to=2026-11-02 printed=yes")
    assert old.limit == 200
    canonical = "status:audited paid:>=2026-11-01 paid:<=2026-11-02 printed:yes limit:200"
    assert old.format() == canonical


def test_lists_ranges_quotes_and_tab_aliases() -> None:
    query = parse('status:待审,已审 title:"红色 L" paid:2026-11-01..2026-11-05 due:<24h sort:-paid')
    assert query.terms[0].values == (Value("pending"), Value("audited"))
    assert query.terms[1].values == (Value("红色 L"),)
    assert query.terms[2].values == (Value("2026-11-01", "..", "2026-11-05"),)
    assert query.terms[3].values == (Value("24h", "<"),)
    assert query.sort == "-paid"
    assert query.format() == (
        'status:pending,audited title:"红色 L" paid:2026-11-01..2026-11-05 due:<24h sort:-paid'
    )


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        (
            "status:audited provnce:浙江省",
            16,
            "unknown key 'provnce' at column 16; did you mean 'province'?",
        ),
        ("status:audted", 8, "status 'audted' is not one of"),
        ("paid:>2026-13-01", 6, "paid '2026-13-01' is not a date"),
        ("paid:2026-11-05..2026-11-01", 6, "range ends before it starts"),
        ('title:"红色 L', 7, "quote not closed"),
        ("province:>浙江", 10, "province takes no comparison >"),
        ("hold:maybe", 6, "hold 'maybe' is not one of yes, no"),
        ("tag:", 1, "tag needs a value"),
        ("-", 1, "'-' needs a term after it"),
        ("limit:0", 7, "limit must be 1 to 10000"),
        ("sort:paid sort:id", 11, "sort is given twice"),
        ("-sort:paid", 1, "sort cannot be negated"),
        ("phone:12", 7, "phone needs at least 5 digits"),
        ("status:a\x00", 9, "control character"),
    ],
)
def test_errors_point_at_the_token(text: str, column: int, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(text)
    error = caught.value
    assert words in error.message
    assert f"at column {column}" in error.message
    assert error.details["column"] == column
    line, caret = error.details["pointer"].split("\n")
    assert line == text and caret.index("^") == column - 1
