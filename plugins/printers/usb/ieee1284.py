"""The USB printer class's own requests (USB Printer Class 1.1, §4.2) and the IEEE 1284
device ID they return: `MFG:Gprinter;MDL:GP-3120TU;CMD:TSPL,ZPL;CLS:PRINTER;`.

Pure parsing, so `discover` can say which languages a printer claims without a whitelist.
"""

from __future__ import annotations

from core.contracts.printer import PrinterState, PrinterStatus

# bmRequestType: device-to-host | class | interface
CLASS_IN_INTERFACE = 0xA1
GET_DEVICE_ID = 0
GET_PORT_STATUS = 1

_LANGUAGE_NAMES = {
    "TSPL": "tspl",
    "TSPL2": "tspl",
    "ZPL": "zpl",
    "ZPL2": "zpl",
    "ZPLII": "zpl",
    "ESC/POS": "escpos",
    "ESCPOS": "escpos",
    "ESC": "escpos",
    "PDF": "pdf",
}


def parse_device_id(raw: bytes) -> dict[str, str]:
    """Keys upper-cased (`MFG`, `MDL`, `CMD` …) → values, from the raw GET_DEVICE_ID reply
    (2-byte big-endian length, which counts itself, then the text)."""
    if len(raw) < 2:
        return {}
    length = int.from_bytes(raw[:2], "big")
    text = raw[2 : max(2, min(length, len(raw)))].decode("latin-1")
    fields: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition(":")
        if sep and key.strip():
            fields[key.strip().upper()] = value.strip()
    return fields


def device_id_languages(fields: dict[str, str]) -> tuple[str, ...]:
    """Document languages named in the command-set field, in orderhub's names."""
    commands = fields.get("CMD") or fields.get("COMMAND SET") or ""
    found: list[str] = []
    for name in commands.split(","):
        language = _LANGUAGE_NAMES.get(name.strip().upper().replace(" ", ""))
        if language and language not in found:
            found.append(language)
    return tuple(found)


def device_id_model(fields: dict[str, str]) -> str:
    maker = fields.get("MFG") or fields.get("MANUFACTURER") or ""
    model = fields.get("MDL") or fields.get("MODEL") or ""
    return " ".join(part for part in (maker, model) if part)


def port_status(byte: int) -> PrinterStatus:
    """GET_PORT_STATUS: bit 5 paper empty, bit 4 selected (online), bit 3 not-error."""
    if byte & 0x20:
        return PrinterStatus(PrinterState.PAPER_OUT, f"USB port status 0x{byte:02x}: paper empty")
    if not byte & 0x08:
        return PrinterStatus(PrinterState.ERROR, f"USB port status 0x{byte:02x}: error")
    if not byte & 0x10:
        return PrinterStatus(PrinterState.OFFLINE, f"USB port status 0x{byte:02x}: not selected")
    return PrinterStatus(PrinterState.READY, f"USB port status 0x{byte:02x}: ready")
