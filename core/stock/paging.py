"""What the stock lists' paged reads share: the text filter and the page size.

`levels.list_levels` and `catalogue.list_skus` answer one page at a time when given a
`limit`, continuing `after` the last row's sort key (keyset paging: a page never repeats
or skips a row when rows arrive meanwhile, and the 500th page costs what the first does).

The filter is words: every word must be in one of the row's texts (code, name, …),
case-insensitively (`lower()` in SQL — on SQLite it folds ASCII letters only, which is
what codes and barcodes hold; Chinese has no case). `%`, `_` and the escape character in a
word are matched as typed. No index serves a word inside a name, so a filter walks the
list's index and tests each row until the page is full: at most one pass over the org's
rows, with no row built in Python that does not match.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, and_, func, or_, true

from core.errors import ValidationError

MAX_PAGE = 1000
MAX_WORDS = 10


def words(text: str | None) -> list[str]:
    """The filter's words, lowercase; a filter of more than `MAX_WORDS` words is refused."""
    found = (text or "").lower().split()
    if len(found) > MAX_WORDS:
        raise ValidationError(f"text: at most {MAX_WORDS} words, not {len(found)}", field="text")
    return found


def matches(wanted: list[str], *texts: ColumnElement[str]) -> ColumnElement[bool]:
    """Every word of `wanted` is in one of `texts` (true when there are no words)."""
    if not wanted:
        return true()
    return and_(
        *(
            or_(*(func.lower(c, type_=String).contains(word, autoescape=True) for c in texts))
            for word in wanted
        )
    )


def check_limit(limit: int | None) -> None:
    """None reads every row (the CLI's listings); a page holds 1 to `MAX_PAGE` rows."""
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise ValidationError(
            f"limit: a page holds 1 to {MAX_PAGE} rows, not {limit}", field="limit"
        )


def bad_key(after: object) -> ValidationError:
    return ValidationError(
        f"after: {after!r} is not a row key of this list and order; start from the first page",
        field="after",
    )
