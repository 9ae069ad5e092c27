"""Reading what a loopback printer received: whole TSPL documents and their waybills.

The tests print with a text-mode template (`fixtures/label-text-76x130.json`) on a printer
with a resident font and native barcodes, so every label's waybill number travels as
`BARCODE … "128" … "<number>"` in clear, and the label's bitmap is blank (all 0xFF: no
byte of it can look like a command). A document counts as received only when it is whole
— from `SIZE` to its `PRINT` line — in one connection: a connection that was reset in the
middle of a label leaves a partial document, which a printer would not print.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

DOCUMENT = re.compile(rb"SIZE [^\r\n]*\r\n.*?\r\nPRINT 1,\d+\r\n", re.S)
BARCODE = re.compile(rb'BARCODE [^\r\n]*?"128",\d+,\d+,\d+,\d+,\d+,"([^"\r\n]+)"\r\n')


def documents(connection: bytes) -> list[bytes]:
    """The whole documents of one connection, in order."""
    return DOCUMENT.findall(connection)


def waybill_of(document: bytes) -> str:
    found = BARCODE.findall(document)
    assert len(found) == 1, document[:200]
    return found[0].decode()


def printed(connections: Iterable[bytes]) -> Counter:
    """waybill number → how many whole labels of it arrived."""
    return Counter(waybill_of(d) for c in connections for d in documents(c))


def partial(connections: Iterable[bytes]) -> int:
    """How many connections ended inside a document (a label cut short)."""
    count = 0
    for connection in connections:
        tail = connection[connection.rfind(b"SIZE ") :] if b"SIZE " in connection else b""
        if tail and not DOCUMENT.fullmatch(tail):
            count += 1
    return count


def settle(listener, documents_expected: int, timeout: float = 10.0) -> Counter:  # type: ignore[no-untyped-def]
    """`printed(…)` once the listener has read every document sent so far (a driver's
    write returns when the printer's TCP stack has the bytes, a moment before the
    listener's thread records them)."""
    listener.wait_until(
        lambda: sum(printed(listener.connections).values()) >= documents_expected, timeout
    )
    return printed(listener.connections)
