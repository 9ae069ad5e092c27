"""CSV records by `str.split` where csv's state machine is not needed.

`csv.reader` looks at every character of a line in C: for a 100,000-row export that is a
tenth of the import. Most lines need none of that — no quotes, or quotes only around whole
fields (`…,"墨绿色,500ml",…`) — and splitting them at the delimiter gives exactly the
record csv would. A line with anything else (a quoted field that goes on to the next line,
an escaped `""`, text before or after a quote, a line longer than csv's field limit) goes
to `csv.reader` itself, which reads on from the same text: the records are csv's, always.
"""

from __future__ import annotations

import io
from collections.abc import Iterator


class Lines:
    """The text's lines for `csv.reader`, with room to put one line back: a line that
    `split_line` cannot read is handed to csv, which may read further lines after it.

    `record(line)` puts `line` back to start one record and allows csv at most
    `max_lines` lines for it. csv asks for another line only while a quoted cell is
    open, so `open_quote` then says the quote was still open when the text (or the
    allowance) ran out."""

    def __init__(self, text: io.TextIOWrapper, max_lines: int) -> None:
        self._text = text
        self._back: str | None = None
        self._max = max_lines
        self._left = max_lines
        self.taken = 0  # lines read from the text (a line put back is not read again)
        self.open_quote = ""  # "" | "end" (the text ended) | "cap" (`max_lines` reached)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        back = self._back
        if back is not None:
            self._back = None
            return back
        if not self._left:
            self.open_quote = "cap"
            raise StopIteration
        try:
            line = next(self._text)
        except StopIteration:
            self.open_quote = "end"
            raise
        self._left -= 1
        self.taken += 1
        return line

    def record(self, line: str | None = None) -> None:
        """Before csv reads one record: from `line` (put back) or from the next line."""
        self._back = line
        self._left = self._max - (line is not None)
        self.open_quote = ""


def split_line(line: str, delimiter: str, limit: int) -> list[str] | None:
    """The record `csv.reader` (the default dialect with `delimiter`) reads from `line`,
    a whole physical line with its terminator; None when only csv can tell."""
    if len(line) > limit:
        return None  # csv decides whether a field is over its limit, and says so
    content = line.rstrip("\r\n")  # a line (newline="") holds no \r or \n but its end
    if '"' not in content:
        return content.split(delimiter) if content else []
    parts = content.split('"')
    last = len(parts) - 1
    if last % 2:
        return None  # an odd number of quotes: a quoted field goes on past this line
    fields: list[str] = []
    for k in range(0, last + 1, 2):
        part = parts[k]  # the text before an opening quote and after a closing one
        if 0 < k < last:  # between two quoted fields: unquoted fields in delimiters
            if part != delimiter:
                if len(part) < 2 or part[0] != delimiter or part[-1] != delimiter:
                    return None  # `""` (an escaped quote), or text touching a quote
                fields += part[1:-1].split(delimiter)
        elif k == 0:  # before the first quote
            if part:
                if part[-1] != delimiter:
                    return None  # text before the opening quote
                fields += part[:-1].split(delimiter)
        else:  # after the last quote
            if part:
                if part[0] != delimiter:
                    return None  # text after the closing quote
                fields += part[1:].split(delimiter)
            return fields
        fields.append(parts[k + 1])  # the quoted field, as it stands
    return fields


def may_hold_formula(line: str, delimiter: str) -> bool:
    """False when no cell of `line` can look like a formula (`looks_like_formula`): none
    of = + @ anywhere, and no - where a cell starts (after the delimiter, a quote or
    whitespace, or at the line's start). Fast scans; True sends the cells to the exact
    test, so a false alarm (`a - b`) only costs time."""
    return (
        "=" in line
        or "+" in line
        or "@" in line
        or (
            "-" in line
            and (
                line[:1] == "-"
                or delimiter + "-" in line
                or '"-' in line
                or " -" in line
                or "\t-" in line
            )
        )
    )
