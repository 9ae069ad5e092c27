"""The desk table's line drawing (`tui.widgets.desk.lines`): every cell takes exactly its
column's width in terminal cells, whatever the text (Chinese is two cells a character),
long text ends in "…", amounts sit on the right, and widths never shrink while scrolling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.style import Style

from tui.widgets.desk import lines
from tui.widgets.desk.rows import Cell, plain

TEXT = st.text(alphabet=st.sampled_from("abc 12·王浙江省广州市●…-*"), max_size=40)
CELL = st.builds(
    lambda parts, right: Cell(tuple(parts), right=right),
    st.lists(st.tuples(TEXT, st.sampled_from(("", "bold red", "yellow"))), max_size=3),
    st.booleans(),
)


@given(cells=st.lists(CELL, min_size=1, max_size=6), widths=st.data())
def test_every_cell_takes_exactly_its_columns_width(cells: list[Cell], widths) -> None:  # type: ignore[no-untyped-def]
    chosen = [widths.draw(st.integers(min_value=1, max_value=30)) for _ in cells]
    strip = lines.draw(cells, chosen, Style())
    assert strip.cell_length == lines.line_width(chosen)
    assert cell_len(strip.text) == lines.line_width(chosen)
    start = 0
    for cell, width in zip(cells, chosen, strict=True):
        column = strip.crop(start + lines.PAD, start + lines.PAD + width).text
        start += width + 2 * lines.PAD
        if cell.width <= width:
            assert column.strip() == cell.plain.strip()
        else:
            assert column.endswith(lines.ELLIPSIS)


def test_long_chinese_text_is_cut_on_a_character_with_an_ellipsis() -> None:
    strip = lines.draw([plain("浙江省杭州市西湖区")], [7], Style())
    assert strip.text == " 浙江省… "  # 6 cells of text, then the ellipsis: 7 in all
    # 5 cells before the ellipsis: a two-cell character does not fit in the last one
    odd = lines.draw([plain("浙江省杭州市")], [6], Style())
    assert odd.text == " 浙江 … "


def test_amounts_sit_on_the_right_and_styles_stay_on_their_parts() -> None:
    amount = Cell((("74.80", ""),), right=True)
    flagged = Cell((("● ", "bold red"), ("PDD1-000", "")))
    strip = lines.draw([amount, flagged], [8, 10], Style(bgcolor="black"))
    assert strip.text == "    74.80  ● PDD1-000 "
    dot = next(segment for segment in strip if segment.text == "● ")
    assert dot.style is not None and dot.style.bold and dot.style.bgcolor is not None


def test_widths_fit_the_widest_cell_up_to_the_cap_and_never_shrink() -> None:
    columns, headers = ("order", "notes"), ("订单号", "备注")
    rows = [(plain("PDD1-000"), plain("买家留言 " * 20))]
    widths = lines.widths_for(columns, headers, rows)
    assert widths == [8, lines.CAPS["notes"]]
    narrower = lines.widths_for(columns, headers, [(plain("P1"), plain("x"))], floor=widths)
    assert narrower == widths
    assert lines.widths_for(columns, headers, [(plain("P1"), plain("x"))]) == [6, 4]
