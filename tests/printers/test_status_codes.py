"""Decoding the status replies of TSPL, ZPL and ESC/POS printers (pure functions)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.contracts.printer import PrinterState, PrinterStatus
from plugins.printers.common.status_codes import (
    STATUS_QUERIES,
    decode_status,
    no_reply_status,
    reply_complete,
)


def zpl(paper_out: str = "0", pause: str = "0", head_up: str = "0", ribbon: str = "0") -> bytes:
    return (
        f"\x02030,{paper_out},{pause},1245,000,0,0,0,000,0,0,0\x03\r\n"
        f"\x02001,0,{head_up},{ribbon},1,2,6,0,00000000,1,000\x03\r\n"
        "\x021234,0\x03\r\n"
    ).encode()


def test_tspl_single_flags() -> None:
    expected = {
        0x00: PrinterState.READY,
        0x01: PrinterState.HEAD_OPEN,
        0x02: PrinterState.ERROR,
        0x04: PrinterState.PAPER_OUT,
        0x08: PrinterState.ERROR,
        0x10: PrinterState.PAUSED,
        0x20: PrinterState.BUSY,
        0x40: PrinterState.HEAD_OPEN,
        0x80: PrinterState.ERROR,
    }
    for code, state in expected.items():
        assert decode_status("tspl", bytes([code])).state is state, hex(code)
    assert decode_status("tspl", b"\x05").message == "TSPL status 0x05: head open, out of paper"


@given(st.integers(0, 255))
def test_tspl_any_byte_is_ready_only_when_zero(code: int) -> None:
    status = decode_status("tspl", bytes([code]))
    assert (status.state is PrinterState.READY) == (code == 0)
    assert status.ready == (code in (0x00, 0x20))


def test_zpl_host_status_flags() -> None:
    assert decode_status("zpl", zpl()).state is PrinterState.READY
    assert decode_status("zpl", zpl(paper_out="1")).state is PrinterState.PAPER_OUT
    assert decode_status("zpl", zpl(pause="1")).state is PrinterState.PAUSED
    assert decode_status("zpl", zpl(head_up="1", paper_out="1")).state is PrinterState.HEAD_OPEN
    assert decode_status("zpl", zpl(ribbon="1")).state is PrinterState.ERROR
    busy = zpl().replace(b"00000000", b"00000012")
    assert decode_status("zpl", busy).state is PrinterState.BUSY


def test_escpos_status_bytes() -> None:
    assert decode_status("escpos", b"\x16\x12\x12").state is PrinterState.READY
    assert decode_status("escpos", b"\x16\x16\x12").state is PrinterState.HEAD_OPEN
    assert decode_status("escpos", b"\x16\x12\x72").state is PrinterState.PAPER_OUT
    assert decode_status("escpos", b"\x16\x52\x12").state is PrinterState.ERROR
    assert decode_status("escpos", b"\x1e\x12\x12").state is PrinterState.OFFLINE
    near_end = decode_status("escpos", b"\x16\x12\x1e")
    assert near_end.state is PrinterState.READY and "near end" in near_end.message
    assert decode_status("escpos", b"\x00\x00\x00").state is PrinterState.UNKNOWN


@given(st.sampled_from(sorted(STATUS_QUERIES)), st.binary(max_size=300))
def test_any_reply_decodes_without_raising(language: str, reply: bytes) -> None:
    status = decode_status(language, reply)
    assert isinstance(status, PrinterStatus)
    assert status.message


def test_reply_completeness() -> None:
    assert not reply_complete("tspl", b"")
    assert reply_complete("tspl", b"\x00")
    assert not reply_complete("escpos", b"\x16\x12")
    assert not reply_complete("zpl", zpl()[:-20])
    assert reply_complete("zpl", zpl())


def test_silence_is_unknown_and_named() -> None:
    status = no_reply_status("tspl", 2, "printer 10.0.0.9:9100")
    assert status.state is PrinterState.UNKNOWN
    assert status.message == "printer 10.0.0.9:9100 sent no status reply within 2 s"
