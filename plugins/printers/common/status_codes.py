"""Status queries of label and receipt printer languages, and what their replies mean
(printing.md §1–3). Pure functions: the transports (TCP 9100, USB bulk IN) send the query,
collect bytes until `reply_complete`, and hand them to `decode_status`.

- TSPL `<ESC>!?` → one byte; 0x00 = ready, bits: 0 head open, 1 paper jam, 2 out of paper,
  3 out of ribbon, 4 pause, 5 printing, 6 cover open, 7 temperature out of range.
- ZPL `~HS` → three `<STX>…<ETX><CR><LF>` strings; Zebra sends *nothing* while media or
  ribbon is out or the head is open, so silence is reported with that hint.
- ESC/POS `DLE EOT 1`, `DLE EOT 2`, `DLE EOT 4` → one byte each (printer, offline cause,
  paper sensor); every reply byte has bit 1 and 4 set and bit 0 and 7 clear.
"""

from __future__ import annotations

from core.contracts.printer import PrinterState, PrinterStatus

STATUS_QUERIES: dict[str, bytes] = {
    "tspl": b"\x1b!?",
    "zpl": b"~HS",
    "escpos": b"\x10\x04\x01\x10\x04\x02\x10\x04\x04",
}

_TSPL_BITS = (
    (0x01, "head open"),
    (0x02, "paper jam"),
    (0x04, "out of paper"),
    (0x08, "out of ribbon"),
    (0x10, "paused"),
    (0x20, "printing"),
    (0x40, "cover open"),
    (0x80, "temperature out of range"),
)


def status_query(language: str) -> bytes:
    """The bytes that ask a printer of `language` for its status (KeyError if none)."""
    return STATUS_QUERIES[language]


def reply_complete(language: str, reply: bytes) -> bool:
    """Whether `reply` holds a whole answer to `status_query(language)`."""
    if language == "tspl":
        return len(reply) >= 1
    if language == "escpos":
        return len(reply) >= 3
    return reply.count(b"\x03") >= 3


def no_reply_status(language: str, seconds: float, where: str) -> PrinterStatus:
    """What silence means: UNKNOWN, with the Zebra hint for ZPL."""
    message = f"{where} sent no status reply within {seconds:g} s"
    if language == "zpl":
        message += "; a Zebra stays silent while media or ribbon is out or the head is open"
    return PrinterStatus(PrinterState.UNKNOWN, message)


def decode_status(language: str, reply: bytes) -> PrinterStatus:
    """Map a status reply onto `PrinterStatus`; an unreadable reply is UNKNOWN, quoted."""
    if language == "tspl":
        return _decode_tspl(reply)
    if language == "zpl":
        return _decode_zpl(reply)
    if language == "escpos":
        return _decode_escpos(reply)
    raise KeyError(language)


def _decode_tspl(reply: bytes) -> PrinterStatus:
    if len(reply) != 1:
        return PrinterStatus(PrinterState.UNKNOWN, f"unexpected TSPL status reply {reply!r}")
    code = reply[0]
    flags = [text for bit, text in _TSPL_BITS if code & bit]
    if code & (0x01 | 0x40):
        state = PrinterState.HEAD_OPEN
    elif code & 0x04:
        state = PrinterState.PAPER_OUT
    elif code & (0x02 | 0x08 | 0x80):
        state = PrinterState.ERROR
    elif code & 0x10:
        state = PrinterState.PAUSED
    elif code & 0x20:
        state = PrinterState.BUSY
    else:
        state = PrinterState.READY
    return PrinterStatus(state, f"TSPL status 0x{code:02x}: " + (", ".join(flags) or "ready"))


def _zpl_fields(reply: bytes) -> list[list[str]]:
    text = reply.decode("ascii", "replace")
    lines = []
    for chunk in text.split("\x02")[1:]:
        body, _, _ = chunk.partition("\x03")
        lines.append([field.strip() for field in body.split(",")])
    return lines


def _decode_zpl(reply: bytes) -> PrinterStatus:
    lines = _zpl_fields(reply)
    try:
        first, second = lines[0], lines[1]
        paper_out, paused = first[1] == "1", first[2] == "1"
        formats_waiting = int(first[4])
        corrupt_ram, too_cold, too_hot = first[9] == "1", first[10] == "1", first[11] == "1"
        head_up, ribbon_out = second[2] == "1", second[3] == "1"
        labels_left = int(second[8])
    except (IndexError, ValueError):
        return PrinterStatus(PrinterState.UNKNOWN, f"unreadable ZPL ~HS reply {reply!r}")
    flags = [
        text
        for on, text in (
            (paper_out, "paper out"),
            (paused, "paused"),
            (head_up, "head open"),
            (ribbon_out, "ribbon out"),
            (corrupt_ram, "corrupt RAM"),
            (too_cold, "under temperature"),
            (too_hot, "over temperature"),
        )
        if on
    ]
    if head_up:
        state = PrinterState.HEAD_OPEN
    elif paper_out:
        state = PrinterState.PAPER_OUT
    elif ribbon_out or corrupt_ram or too_cold or too_hot:
        state = PrinterState.ERROR
    elif paused:
        state = PrinterState.PAUSED
    elif formats_waiting or labels_left:
        state = PrinterState.BUSY
        flags.append(f"{formats_waiting} formats waiting, {labels_left} labels to print")
    else:
        state = PrinterState.READY
    return PrinterStatus(state, "ZPL host status: " + (", ".join(flags) or "ready"))


def _decode_escpos(reply: bytes) -> PrinterStatus:
    if len(reply) != 3 or any(byte & 0x93 != 0x12 for byte in reply):
        return PrinterStatus(PrinterState.UNKNOWN, f"unexpected ESC/POS status reply {reply!r}")
    printer, offline, paper = reply
    cover_open = bool(offline & 0x04)
    paper_end = paper & 0x60 == 0x60 or bool(offline & 0x20)
    near_end = paper & 0x0C == 0x0C
    error = bool(offline & 0x40)
    is_offline = bool(printer & 0x08)
    flags = [
        text
        for on, text in (
            (cover_open, "cover open"),
            (paper_end, "paper end"),
            (near_end, "paper near end"),
            (error, "error"),
            (is_offline, "offline"),
        )
        if on
    ]
    if cover_open:
        state = PrinterState.HEAD_OPEN
    elif paper_end:
        state = PrinterState.PAPER_OUT
    elif error:
        state = PrinterState.ERROR
    elif is_offline:
        state = PrinterState.OFFLINE
    else:
        state = PrinterState.READY
    return PrinterStatus(state, "ESC/POS status: " + (", ".join(flags) or "ready"))
