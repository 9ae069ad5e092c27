"""`pdd-export`: the order export of the Pinduoduo merchant back office (拼多多商家后台 →
订单查询 → 导出), as CSV (UTF-8 with BOM, or GBK) or XLSX. pinduoduo.md §9 lists the headers.

One row is one order with one goods line (Pinduoduo has no cart). The export is Chinese
text, not the API's codes: statuses are words (`已发货，待签收`), money is yuan with tabs
around it (so spreadsheets keep it as text), times are Beijing time, and the receiver is
often masked (`张**`, `138****5678`): core tags such orders as not printable with our own
labels. Headers are matched after NFKC normalisation, so `(元)` and `（元）` both work.

Registered through its own entry point (`import-pinduoduo-export`) so it loads even when
the API client's dependencies do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from core import tabular
from core.contracts import ImportFormat, ImportRow
from core.hookspecs import hookimpl
from plugins.platforms.pinduoduo.export_rows import COLUMNS, RowReader, header_key_of, resolve


class PinduoduoExportFormat(ImportFormat):
    """The Pinduoduo back-office order export (CSV or XLSX)."""

    name = "pdd-export"
    FILE_EXTENSIONS = (".csv", ".xlsx")
    SUPPORTS_TEMPLATE = True

    def sniff(self, filename: str, head: bytes) -> bool:
        """A CSV whose header has 订单号 and 订单状态, or any XLSX workbook: its header sits
        inside compressed XML we cannot see in the first bytes, so `parse` checks it."""
        if tabular.is_xlsx(filename, head):
            return True
        keys = set(tabular.sniff_header(filename, head) or ())
        return {header_key_of("order_number"), header_key_of("status")} <= keys

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ImportRow]:
        table = tabular.read_table(stream, filename)
        reader = RowReader(table, resolve(table, filename))
        for row in table.rows:
            if not row.blank:
                yield reader.read(row)

    def blank_template(self) -> bytes:
        """The headers of the current export, UTF-8 with BOM (what Excel opens correctly)."""
        header = ",".join(names[0] for names in COLUMNS.values())
        return ("\ufeff" + header + "\r\n").encode("utf-8")


@hookimpl
def register_import_formats() -> list[type[ImportFormat]]:
    return [PinduoduoExportFormat]
