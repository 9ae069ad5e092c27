"""Hostile workbooks: small files that unpack or parse to gigabytes are refused in one
line naming the part and the limit, and reading them stays under ~300 MB resident.

Each bomb is built here with zipfile, its big parts written a chunk at a time, and read
by `core.tabular.read_table` in a child process that reports its peak memory: VmHWM, the
peak of its own address space (Linux keeps `ru_maxrss` across exec, so a child started
by a big parent would report at least the parent's peak)."""

from __future__ import annotations

import io
import itertools
import random
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import openpyxl
import pytest

from core import tabular
from core.errors import ValidationError
from core.tabular import xlsx_sheet
from tests.importing.conftest import order_count, run_import

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
MEMORY_MB = 300
MB = 1 << 20

#: Reads the file given, prints the outcome's first line, then its peak RSS in MiB.
CHILD = """
import resource, sys
from core import tabular
from core.errors import ValidationError
try:
    with open(sys.argv[1], "rb") as handle:
        table = tabular.read_table(handle, "o.xlsx")
        print("read", sum(1 for _ in table.rows), "rows")
except ValidationError as exc:
    print("ValidationError:", exc)
try:
    with open("/proc/self/status") as status:
        print(int(status.read().split("VmHWM:")[1].split()[0]) // 1024)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def sheet(rows: Iterable[bytes]) -> Iterator[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
    yield from rows
    yield b"</sheetData></worksheet>"


HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>order</t></is></c></row>'


def workbook(path: Path, parts: dict[str, Iterable[bytes]]) -> Path:
    """An openpyxl workbook with `parts` put in (replaced or added), each written from
    its chunks: the bombs never sit whole in the test's memory."""
    base = openpyxl.Workbook()
    base.active["A1"] = "order"
    out = io.BytesIO()
    base.save(out)
    source = zipfile.ZipFile(out)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename in parts:
                continue
            body = source.read(item.filename)
            if item.filename == "[Content_Types].xml" and STRINGS in parts:
                body = body.replace(b"</Types>", STRINGS_TYPE.encode() + b"</Types>")
            target.writestr(item.filename, body)
        for name, chunks in parts.items():
            with target.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
    return path


def read_in_child(path: Path) -> tuple[str, int]:
    """(the outcome's line, peak resident MiB) of reading `path` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    outcome, peak = done.stdout.strip().splitlines()
    return outcome, int(peak)


def refused(path: Path, message: str) -> None:
    outcome, peak = read_in_child(path)
    assert outcome == f"ValidationError: o.xlsx: {message}; refused"
    assert peak < MEMORY_MB, f"{peak} MiB resident"


def letters(size: int, seed: int = 0) -> bytes:
    """`size` random letters a–p: 4 bits of entropy a byte, so deflate packs them ~2:1."""
    table = bytes(range(97, 113)) * 16
    return random.Random(seed).randbytes(size).translate(table)


def test_a_ten_million_character_cell_is_refused_as_it_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def rows() -> Iterator[bytes]:
        yield HEADER_ROW
        yield b'<row r="7"><c r="C7" t="inlineStr"><is><t>'
        for seed in range(10):
            yield letters(MB, seed)  # packs ~2:1, so the ratio check lets it be read
        yield b"</t></is></c></row>"

    refused(
        workbook(tmp_path / "cell.xlsx", {SHEET: sheet(rows())}),
        f"{SHEET}: cell C7 has more than 131,072 characters",
    )


@pytest.mark.parametrize(
    ("cell", "where"),
    [
        ('<c r="B2" t="str"><v>{0}{0}</v></c>', "B2"),
        ('<c r="B2"><f>{0}{0}</f></c>', "B2"),
        ('<c/><c t="inlineStr"><is><r><t>{0}</t></r><r><t>{0}</t></r></is></c>', "B2"),
    ],
    ids=["value", "formula", "runs without a reference"],
)
def test_every_kind_of_cell_text_is_measured(cell: str, where: str) -> None:
    row = f'<row r="2">{cell}</row>'.format("y" * 70_000).encode()
    data = workbook_in_memory({SHEET: sheet([HEADER_ROW, row])})
    with pytest.raises(ValidationError) as caught:
        list(tabular.read_table(io.BytesIO(data), "o.xlsx").rows)
    assert str(caught.value) == (
        f"o.xlsx: {SHEET}: cell {where} has more than 131,072 characters; refused"
    )


def workbook_in_memory(parts: dict[str, Iterable[bytes]]) -> bytes:
    out = io.BytesIO()
    workbook(out, parts)  # type: ignore[arg-type]
    return out.getvalue()


def test_a_million_shared_strings_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def strings() -> Iterator[bytes]:
        yield f'<sst xmlns="{MAIN}">'.encode()
        for start in range(0, 1_000_001, 100_000):
            end = min(start + 100_000, 1_000_001)
            yield "".join(f"<si><t>{i}</t></si>" for i in range(start, end)).encode()
        yield b"</sst>"

    refused(
        workbook(tmp_path / "strings.xlsx", {STRINGS: strings()}),
        f"{STRINGS}: holds more than 1,000,000 strings",
    )


def test_shared_strings_past_their_characters_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def strings() -> Iterator[bytes]:
        yield f'<sst xmlns="{MAIN}">'.encode()
        for seed in range(170):  # 17 million characters, 100,000 a string
            yield b"<si><t>" + letters(100_000, seed) + b"</t></si>"
        yield b"</sst>"

    refused(
        workbook(tmp_path / "chars.xlsx", {STRINGS: strings()}),
        f"{STRINGS}: holds more than 16,000,000 characters of strings",
    )


def test_one_shared_string_longer_than_a_cell_is_refused() -> None:
    body = f'<sst xmlns="{MAIN}"><si><t>a</t></si><si><r><t>'.encode()
    data = workbook_in_memory({STRINGS: [body, b"z" * 140_000, b"</t></r></si></sst>"]})
    with pytest.raises(ValidationError) as caught:
        tabular.read_table(io.BytesIO(data), "o.xlsx")
    assert str(caught.value) == (
        f"o.xlsx: {STRINGS}: string 2 has more than 131,072 characters; refused"
    )


def styles(xfs: Iterable[bytes]) -> Iterator[bytes]:
    yield f'<styleSheet xmlns="{MAIN}"><cellXfs>'.encode()
    yield from xfs
    yield b"</cellXfs></styleSheet>"


def test_a_styles_part_with_too_many_cell_formats_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    xfs = (
        "".join(f'<xf numFmtId="{rng.randrange(50)}"/>' for _ in range(16_001)).encode()
        for _ in range(4)
    )
    refused(
        workbook(tmp_path / "styles.xlsx", {STYLES: styles(xfs)}),
        f"{STYLES}: holds more than 64,000 cell formats",
    )


def test_a_highly_compressed_styles_part_is_refused_before_it_is_parsed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    xfs = (b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>' * 20_000 for _ in range(5))
    refused(
        workbook(tmp_path / "styles.xlsx", {STYLES: styles(xfs)}),
        f"{STYLES}: unpacks to more than 100 times its packed size",
    )


def test_a_200_mb_member_that_compresses_1000_to_1_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    padding = itertools.repeat(b" " * MB, 200)
    refused(
        workbook(tmp_path / "zip.xlsx", {SHEET: sheet(itertools.chain([HEADER_ROW], padding))}),
        f"{SHEET}: unpacks to more than 100 times its packed size",
    )


def test_a_member_whose_declared_size_lies_is_read_no_further(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The header says 1,000 bytes; the member holds 200 MB. zipfile stops at the
    declared size and the checksum gives the lie away: the workbook is damaged."""
    padding = itertools.repeat(b" " * MB, 200)
    path = workbook(tmp_path / "lie.xlsx", {SHEET: sheet(itertools.chain([HEADER_ROW], padding))})
    _declare_size(path, SHEET, 1_000)
    outcome, peak = read_in_child(path)
    assert outcome.startswith("ValidationError: o.xlsx: the workbook is damaged (BadZipFile")
    assert peak < MEMORY_MB, f"{peak} MiB resident"


def _declare_size(path: Path, name: str, declared: int) -> None:
    """Make `name`'s local and central headers declare it unpacks to `declared` bytes."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, zipfile.ZipFile(path).getinfo(name).header_offset + 22, declared)
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))


def test_references_past_excel_s_last_row_or_column_are_refused() -> None:
    for rows, message in [
        (b'<row r="4000000000"><c><v>1</v></c></row>', "row 4000000000 is beyond row 1,048,576"),
        (b'<row r="2"><c r="XFE2"><v>1</v></c></row>', "cell XFE2 is beyond column 16,384 (XFD)"),
        (b'<row r="2">' + b'<c r="A2"/>' * 16_385 + b"</row>", "row 2 has more than 16,384 cells"),
    ]:
        data = workbook_in_memory({SHEET: sheet([HEADER_ROW, rows])})
        with pytest.raises(ValidationError) as caught:
            list(tabular.read_table(io.BytesIO(data), "o.xlsx").rows)
        assert str(caught.value) == f"o.xlsx: {SHEET}: {message}; refused"


def test_the_last_cell_excel_has_and_a_huge_dimension_allocate_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    body = [
        f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">'.encode(),
        b'<dimension ref="A1:XFD1048576"/><sheetData>',
        HEADER_ROW,
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        b"</sheetData></worksheet>",
    ]
    outcome, peak = read_in_child(workbook(tmp_path / "far.xlsx", {SHEET: body}))
    assert outcome == "read 1048575 rows"
    assert peak < MEMORY_MB, f"{peak} MiB resident"


def test_a_sheet_laying_out_too_many_cells_is_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(xlsx_sheet, "MAX_XLSX_CELLS", 100_000)  # the real one takes seconds
    rows = b"".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>'.encode() for r in range(2, 9))
    data = workbook_in_memory({SHEET: sheet([HEADER_ROW, rows])})
    with pytest.raises(ValidationError) as caught:
        list(tabular.read_table(io.BytesIO(data), "o.xlsx").rows)
    assert str(caught.value) == f"o.xlsx: {SHEET}: lays out more than 100,000 cells; refused"


def test_a_huge_attribute_is_refused_before_expat_holds_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [HEADER_ROW, b'<row r="2"><c r="A2" x="', letters(3 * MB), b'"/></row>']
    refused(
        workbook(tmp_path / "attr.xlsx", {SHEET: sheet(rows)}),
        f"{SHEET}: holds XML with no tag or text boundary in 1,048,576 bytes",
    )


def test_a_zip_directory_of_tens_of_thousands_of_members_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = workbook(tmp_path / "many.xlsx", {})
    with zipfile.ZipFile(path, "a") as archive:
        for i in range(25_000):
            archive.writestr(f"xl/media/padding{i:05d}.bin", b"")
    refused(path, "the archive: the zip directory is larger than 1,048,576 bytes")


def test_shared_strings_declaring_entities_are_refused() -> None:
    body = (
        '<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        f'<sst xmlns="{MAIN}"><si><t>&b;</t></si></sst>'
    )
    data = workbook_in_memory({STRINGS: [body.encode()]})
    with pytest.raises(ValidationError, match=f"{STRINGS}: declares XML entities; refused"):
        tabular.read_table(io.BytesIO(data), "o.xlsx")


def test_the_import_service_refuses_a_bomb_in_one_line_and_stores_nothing(app, acme, shop) -> None:  # type: ignore[no-untyped-def]
    rows = [HEADER_ROW, b'<row r="3"><c r="D3" t="inlineStr"><is><t>', letters(4 * MB)]
    data = workbook_in_memory({SHEET: sheet([*rows, b"</t></is></c></row>"])})
    with pytest.raises(ValidationError) as caught:
        run_import(app, acme.admin, shop, data, "orders.xlsx", format="pdd-export")
    assert "\n" not in str(caught.value)
    assert f"{SHEET}: cell D3 has more than 131,072 characters" in str(caught.value)
    assert order_count(app) == 0


def test_an_encrypted_member_is_a_damaged_workbook_not_a_traceback() -> None:
    data = bytearray(workbook_in_memory({}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET)
    struct.pack_into("<H", data, info.header_offset + 6, info.flag_bits | 1)  # "encrypted"
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(SHEET)] != SHEET.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<H", data, central + 8, info.flag_bits | 1)
    with pytest.raises(ValidationError, match=r"^o\.xlsx: the workbook is damaged \(Runtime"):
        list(tabular.read_table(io.BytesIO(bytes(data)), "o.xlsx").rows)
