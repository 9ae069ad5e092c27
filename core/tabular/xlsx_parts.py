"""An XLSX package read under limits: its zip members, and the parts cells need.

A workbook is a zip of XML parts, and a small hostile one can unpack to gigabytes or
hold a part that costs gigabytes once parsed. `Package` checks every member before it
is opened (its declared size against a hard cap and against its compressed size) and
counts the bytes while it is read (a header can lie). `feed` parses a part with expat,
chunk by chunk, refusing XML with no boundary for `MAX_XML_TOKEN_BYTES` (expat would hold
the whole token) and entity declarations. `shared_strings` and `number_formats` read
those parts that way, keeping only what cells need, as openpyxl reads them. Every
limit is in `core.tabular.model`; a workbook past one raises `Oversized`.
"""

from __future__ import annotations

import zipfile
from array import array
from collections.abc import Callable, Iterator
from typing import IO, Any, BinaryIO
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

from core.tabular.model import (
    MAX_CELL_CHARS,
    MAX_SHARED_CHARS,
    MAX_SHARED_STRINGS,
    MAX_XLSX_DIRECTORY_BYTES,
    MAX_XLSX_MEMBER_BYTES,
    MAX_XLSX_RATIO,
    MAX_XLSX_STYLES,
    MAX_XLSX_TREE_BYTES,
    MAX_XML_TOKEN_BYTES,
    XLSX_RATIO_GRACE_BYTES,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHUNK = 1 << 20


class Oversized(ValueError):
    """The workbook holds more than a limit allows; `part` is the zip member, when known."""

    def __init__(self, what: str, part: str | None = None) -> None:
        super().__init__(what)
        self.part = part


class DeclaresEntities(ValueError):
    """The part declares XML entities: no spreadsheet writes them; a bomb might."""


class Package(zipfile.ZipFile):
    """The workbook's zip, every member checked before it is opened and counted while
    read. `open` (what openpyxl reads whole into an element tree) allows
    `MAX_XLSX_TREE_BYTES`; `stream` (parts parsed as they are read) `MAX_XLSX_MEMBER_BYTES`."""

    def __init__(self, stream: BinaryIO) -> None:
        end = zipfile._EndRecData(stream)  # type: ignore[attr-defined]  # the EOCD record
        if end and end[zipfile._ECD_SIZE] > MAX_XLSX_DIRECTORY_BYTES:  # type: ignore[attr-defined]
            raise Oversized(
                f"the zip directory is larger than {MAX_XLSX_DIRECTORY_BYTES:,} bytes",
                "the archive",
            )
        super().__init__(stream)

    def open(self, name: Any, mode: str = "r", pwd: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if mode != "r":
            return super().open(name, mode, pwd, **kwargs)
        return self.stream(name, MAX_XLSX_TREE_BYTES, pwd)

    def stream(
        self, name: str | zipfile.ZipInfo, cap: int = MAX_XLSX_MEMBER_BYTES, pwd: Any = None
    ) -> _Counted:
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        part = info.filename
        if info.file_size > cap:
            raise Oversized(f"unpacks to more than {cap:,} bytes", part)
        limit = min(cap, max(XLSX_RATIO_GRACE_BYTES, MAX_XLSX_RATIO * info.compress_size))
        if info.file_size > limit:
            raise Oversized(f"unpacks to more than {MAX_XLSX_RATIO} times its packed size", part)
        return _Counted(super().open(info, "r", pwd), part, limit, cap)


class _Counted:
    """A member's bytes, counted: past `limit` the member is refused, whatever its
    header declared."""

    def __init__(self, raw: IO[bytes], part: str, limit: int, cap: int) -> None:
        self.raw, self.part, self.limit, self.cap, self.count = raw, part, limit, cap, 0

    def read(self, size: int = -1) -> bytes:
        left = self.limit - self.count + 1  # one byte more tells a member that is too big
        data = self.raw.read(left if size < 0 or size > left else size)
        self.count += len(data)
        if self.count > self.limit:
            if self.limit == self.cap:
                raise Oversized(f"unpacks to more than {self.cap:,} bytes", self.part)
            raise Oversized(
                f"unpacks to more than {MAX_XLSX_RATIO} times its packed size", self.part
            )
        return data

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None],
) -> expat.XMLParserType:
    """An expat parser for a part: namespaces as `uri name`, text in runs, no entities."""
    made = expat.ParserCreate(namespace_separator=" ")
    made.buffer_text = True
    made.StartElementHandler = start
    made.EndElementHandler = end
    made.CharacterDataHandler = text
    made.EntityDeclHandler = _refuse_entities
    return made


def feed(made: expat.XMLParserType, source: IO[bytes]) -> Iterator[None]:
    """Parse `source` into `made` a chunk at a time, yielding after each chunk."""
    fed = 0
    while True:
        chunk = source.read(CHUNK)
        made.Parse(chunk, not chunk)
        fed += len(chunk)
        if fed - made.CurrentByteIndex > MAX_XML_TOKEN_BYTES:
            raise Oversized(
                f"holds XML with no tag or text boundary in {MAX_XML_TOKEN_BYTES:,} bytes"
            )
        yield
        if not chunk:
            return


def _refuse_entities(*_: object) -> None:
    raise DeclaresEntities("declares XML entities")


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def shared_strings(source: IO[bytes]) -> list[str]:
    """The shared-string table as openpyxl's `read_string_table` reads it: every main
    `<si>` (at any depth) is its last `<t>` child's text, then its `<r>` runs' texts."""
    reader = _Strings()
    for _ in feed(parser(reader.start, reader.end, reader.text), source):
        pass
    return reader.strings


class _Strings:
    """expat callbacks for `shared_strings`. Each open element is a frame:
    `[local name, its <t>'s text or None, runs (of an <si>), characters (of an <si>),
    is a main <si>, the <t>'s text parts]`."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.chars = 0
        self.stack: list[list[Any]] = []
        self.collect: list[str] | None = None  # a <t>'s text, up to its first child
        self.owner: list[Any] = []  # the <si> frame that text belongs to

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.collect = None
        local = _local(name)
        frame: list[Any] = [local, None, [], 0, name == _SI, None]
        stack = self.stack
        if local == "t" and stack:
            owner = _si_of(stack)
            if owner is not None:
                frame[5] = self.collect = []
                self.owner = owner
        stack.append(frame)

    def text(self, data: str) -> None:
        if self.collect is None:
            return
        self.collect.append(data)
        owner = self.owner
        owner[3] += len(data)
        self.chars += len(data)
        if owner[3] > MAX_CELL_CHARS:
            raise Oversized(
                f"string {len(self.strings) + 1} has more than {MAX_CELL_CHARS:,} characters"
            )
        if self.chars > MAX_SHARED_CHARS:
            raise Oversized(f"holds more than {MAX_SHARED_CHARS:,} characters of strings")

    def end(self, name: str) -> None:
        self.collect = None
        frame = self.stack.pop()
        stack = self.stack
        if frame[5] is not None:  # a <t> of an <si> or of one of its runs
            stack[-1][1] = "".join(frame[5]) if frame[5] else None  # the last <t> wins
        elif frame[0] == "r" and stack and stack[-1][4]:
            stack[-1][2].append(frame[1])
        if frame[4]:
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise Oversized(f"holds more than {MAX_SHARED_STRINGS:,} strings")
            runs = "".join(t for t in frame[2] if t is not None)
            self.strings.append(((frame[1] or "") + runs).replace("x005F_", ""))


def _si_of(stack: list[list[Any]]) -> list[Any] | None:
    """The <si> frame a <t> opened on top of `stack` gives text to: its parent, or its
    grandparent when the parent is one of the <si>'s <r> runs."""
    parent = stack[-1]
    if parent[4]:
        return parent
    if parent[0] == "r" and len(stack) > 1 and stack[-2][4]:
        return stack[-2]
    return None


_SI = f"{MAIN} si"


def number_formats(source: IO[bytes]) -> tuple[frozenset[int], frozenset[int]]:
    """The cell formats (indexes into `cellXfs`) that show dates, and those that show
    durations, as openpyxl's `apply_stylesheet` finds them: a format's number format is
    the custom one of its id, else the built-in one."""
    reader = _Styles()
    for _ in feed(parser(reader.start, reader.end, _ignore), source):
        pass
    custom = reader.custom
    dates, durations = set(), set()
    for index, format_id in enumerate(reader.formats):
        if format_id in custom:
            is_date, is_duration = custom[format_id]
        else:
            code = BUILTIN_FORMATS.get(format_id)
            is_date, is_duration = is_date_format(code), is_timedelta_format(code)
        if is_date:
            dates.add(index)
        if is_duration:
            durations.add(index)
    return frozenset(dates), frozenset(durations)


class _Styles:
    """expat callbacks for `number_formats`: the stylesheet's `numFmts` and `cellXfs`
    (its children; the last of each wins, as in openpyxl), nothing else kept."""

    def __init__(self) -> None:
        self.depth = 0
        self.section = ""
        self.custom: dict[int, tuple[bool, bool]] = {}
        self.formats = array("q")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 2:
            self.section = _local(name)
            if self.section == "numFmts":
                self.custom = {}
            elif self.section == "cellXfs":
                self.formats = array("q")
        elif self.depth == 3 and self.section == "numFmts" and _local(name) == "numFmt":
            if len(self.custom) >= MAX_XLSX_STYLES:
                raise Oversized(f"holds more than {MAX_XLSX_STYLES:,} number formats")
            code = attrs.get("formatCode")
            self.custom[int(attrs["numFmtId"])] = (is_date_format(code), is_timedelta_format(code))
        elif self.depth == 3 and self.section == "cellXfs" and _local(name) == "xf":
            if len(self.formats) >= MAX_XLSX_STYLES:
                raise Oversized(f"holds more than {MAX_XLSX_STYLES:,} cell formats")
            self.formats.append(int(attrs.get("numFmtId", 0)))

    def end(self, name: str) -> None:
        if self.depth == 2:
            self.section = ""
        self.depth -= 1


def _ignore(_: str) -> None:
    pass
