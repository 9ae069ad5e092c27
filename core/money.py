"""Money: integer fen (分) everywhere; parsed from the platforms' and merchants' yuan.

Platforms send yuan as JSON numbers (`12.9`) or text (`"12.90"`, `" 12.90\t"` in exports);
merchants' sheets add a currency mark and thousands separators (`¥1,299.00`). Text is read
only in the form a merchant writes yuan: digits, commas only between groups of three, at
most one dot and two decimals. So `19,90` (a decimal comma), `1_000` and `1e3` are refused,
never read as 1990, 1000 and 1000 yuan. Numbers are read exactly (`Decimal`, never float
arithmetic), and anything that is not a whole number of fen or is beyond `MAX_YUAN` is
refused rather than rounded or stored.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from core.errors import ValidationError

# Above any real order or ledger total, and far inside the BIGINT columns fen live in.
MAX_YUAN = Decimal(10) ** 12
MAX_FEN = 10**14
_MAX_YUAN_INT = 10**12
_MAX_WHOLE_DIGITS = 13  # len(str(_MAX_YUAN_INT)): more digits are too large without int()

# `-¥1,234.50`, `¥-1,234.50`, `1234.5元`, `RMB 12.90`; surrounding whitespace is stripped
# first. The fraction takes any number of digits here so that three decimals get their own
# message; more than two are refused after the match.
_YUAN_TEXT = re.compile(
    r"""
    (?P<sign>-?)
    (?:(?:[¥￥]|RMB|CNY)\s*)?
    (?P<sign_after_mark>-?)
    (?P<whole>[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)
    (?:\.(?P<fraction>[0-9]+))?
    (?:\s*(?:元|RMB|CNY))?
    """,
    re.VERBOSE,
)
_FEN_TEXT = re.compile(r"-?[0-9]+")
_DECIMAL_COMMA = re.compile(r"\D{0,4}[0-9]+,[0-9]{1,2}\D{0,4}")
# Full-width digits (`１２.５`) are what a Chinese input method types; other scripts' digits
# are not money a merchant writes.
_FULL_WIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)}
_SHOWN_CHARS = 40


def yuan_to_fen(value: object, *, field: str = "amount") -> int:
    """`"12.90"` → 1290. Accepts str, int, Decimal, and float *only* via its shortest repr.

    Raises ValidationError naming `field` and the value for empty text, text that is not
    yuan as a merchant writes it, more than two decimals, or more than `MAX_YUAN`.
    """
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"{field}: expected an amount in yuan, got {value!r}", field=field)
    if isinstance(value, int):
        if abs(value) > _MAX_YUAN_INT:
            shown = repr(value) if value.bit_length() < 200 else "a very long integer"
            raise ValidationError(f"{field}: {shown} is implausibly large", field=field)
        return value * 100
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{field}: {value!r} is not a finite amount", field=field)
        # json.loads gave us a float; repr() is the shortest text that round-trips to it,
        # i.e. exactly the digits the platform sent.
        return _decimal_to_fen(Decimal(repr(value)), field, repr(value))
    if isinstance(value, Decimal):
        return _decimal_to_fen(value, field, _shown(str(value)))
    if isinstance(value, str):
        return _text_to_fen(value, field)
    raise ValidationError(f"{field}: {_cut(repr(value))} is not an amount in yuan", field=field)


def whole_fen(text: str, *, field: str = "amount") -> int:
    """`"1290"` → 1290: an amount already in fen, for files that write money in fen.

    Digits with an optional leading minus, within `MAX_FEN`; anything else raises a
    ValidationError naming `field` and the text."""
    cleaned = text.strip().translate(_FULL_WIDTH_DIGITS)
    if not cleaned:
        raise ValidationError(f"{field}: amount is empty", field=field)
    if not _FEN_TEXT.fullmatch(cleaned):
        raise ValidationError(f"{field}: {_shown(text)} is not a whole number of fen", field=field)
    digits = cleaned.lstrip("-").lstrip("0")
    if len(digits) > len(str(MAX_FEN)) or int(digits or "0") > MAX_FEN:
        raise ValidationError(f"{field}: {_shown(text)} is implausibly large", field=field)
    return int(cleaned)


def fen_to_yuan_text(fen: int) -> str:
    """1290 → "12.90"; -5 → "-0.05". For display and for APIs that want yuan text."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _text_to_fen(text: str, field: str) -> int:
    stripped = text.strip()
    if not stripped:
        raise ValidationError(f"{field}: amount is empty", field=field)
    match = _YUAN_TEXT.fullmatch(stripped.translate(_FULL_WIDTH_DIGITS))
    if match is None or (match["sign"] and match["sign_after_mark"]):
        hint = (
            "the decimal point is '.', a comma only separates thousands"
            if _DECIMAL_COMMA.fullmatch(stripped)
            else "write yuan like 1234.50 or ¥1,234.50"
        )
        raise ValidationError(
            f"{field}: {_shown(text)} is not an amount in yuan ({hint})", field=field
        )
    fraction = match["fraction"] or ""
    if len(fraction) > 2:
        raise ValidationError(
            f"{field}: {_shown(text)} has more than two decimals (fen is the smallest unit)",
            field=field,
        )
    whole = match["whole"].replace(",", "").lstrip("0")
    if len(whole) > _MAX_WHOLE_DIGITS:
        raise ValidationError(f"{field}: {_shown(text)} is implausibly large", field=field)
    fen = int(whole or "0") * 100 + int(fraction.ljust(2, "0"))
    if fen > MAX_FEN:
        raise ValidationError(f"{field}: {_shown(text)} is implausibly large", field=field)
    return -fen if match["sign"] or match["sign_after_mark"] else fen


def _decimal_to_fen(amount: Decimal, field: str, shown: str) -> int:
    """Exactly `amount * 100`, in integer arithmetic: Decimal's own would round to its
    context (a tiny `1E-1000000000` became 0 fen)."""
    if not amount.is_finite():
        raise ValidationError(f"{field}: {shown} is not a finite amount", field=field)
    if amount.copy_abs() > MAX_YUAN:  # comparisons are exact; abs() would round
        raise ValidationError(f"{field}: {shown} is implausibly large", field=field)
    negative, digit_tuple, exponent = amount.as_tuple()
    digits = list(digit_tuple)
    if not any(digits):
        return 0
    assert isinstance(exponent, int)  # finite
    while digits[-1] == 0:
        digits.pop()
        exponent += 1
    if exponent < -2:
        raise ValidationError(
            f"{field}: {shown} has more than two decimals (fen is the smallest unit)",
            field=field,
        )
    # At most 10**12 with its last digit non-zero: a few digits and a small exponent.
    fen = int("".join(map(str, digits))) * 10 ** (exponent + 2)
    return -fen if negative else fen


def _shown(text: str) -> str:
    """The text for a message: stripped, quoted, cut short (a cell may be long)."""
    return _cut(repr(text.strip()))


def _cut(shown: str) -> str:
    return shown if len(shown) <= _SHOWN_CHARS + 2 else shown[:_SHOWN_CHARS] + "…"
