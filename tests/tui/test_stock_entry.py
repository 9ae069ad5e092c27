"""What is typed in the stock dialogs (`tui.widgets.stock.entry`): quantities and a
mapping's parts, read back whatever the separators; bad entries named in the UI's
language."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.stock.mapping import Part
from tui.i18n import DEFAULT_LANGUAGE, set_language
from tui.widgets.stock import entry

codes = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-_./"), min_size=1, max_size=12
)
separators = st.sampled_from([" ", ",", "，", "、", " + ", "  ", ", "])


@given(
    st.lists(st.tuples(codes, st.integers(1, 999), st.booleans()), min_size=1, max_size=6),
    separators,
    st.sampled_from(["*", "×"]),
)
def test_parts_read_back_what_was_written(
    written: list[tuple[str, int, bool]], separator: str, star: str
) -> None:
    text = separator.join(code + (f"{star}{qty}" if shown else "") for code, qty, shown in written)
    assert entry.parts(text) == [Part(code, qty if shown else 1) for code, qty, shown in written]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CUP-R LID*", "part 2: 'LID*' is not CODE or CODE*QUANTITY (e.g. LID*2)"),
        ("*2", "part 1: '*2' is not CODE or CODE*QUANTITY (e.g. LID*2)"),
        ("LID*二", "part 1: 'LID*二' is not CODE or CODE*QUANTITY (e.g. LID*2)"),
        ("  ", "Fill in: SKU codes"),
    ],
)
def test_bad_parts_are_named(text: str, message: str) -> None:
    set_language("en")
    try:
        with pytest.raises(ValidationError) as refused:
            entry.parts(text)
    finally:
        set_language(DEFAULT_LANGUAGE)
    assert refused.value.message == message


def test_quantities_are_whole_numbers() -> None:
    set_language(DEFAULT_LANGUAGE)  # another test of this worker may have left English on
    assert entry.quantity(" 40 ", "stock.field.quantity") == 40
    assert entry.quantity("0", "stock.field.counted") == 0
    for bad in ("4.5", "-3", "４０", "十", ""):
        with pytest.raises(ValidationError) as refused:
            entry.quantity(bad, "stock.field.quantity")
        assert refused.value.details["field"] == "stock.field.quantity"
    with pytest.raises(ValidationError, match=r"数量须是整数，例如 40，而不是 '4\.5'"):
        entry.quantity("4.5", "stock.field.quantity")
