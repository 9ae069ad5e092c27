"""Money: integer fen (分) everywhere; parsed from the platforms' decimal yuan text.

Platforms send yuan as JSON numbers (`12.9`) or text (`"12.90"`, `" 12.90\t"` in exports).
We parse the *text* with `Decimal`, never via float arithmetic, and refuse anything that is
not a whole number of fen rather than silently rounding a merchant's money.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.errors import ValidationError

_CURRENCY_MARKS = ("¥", "￥", "元", "RMB", "CNY")
# Above any real order or ledger total; stops "1e400" from becoming a 400-digit integer.
MAX_YUAN = Decimal(10) ** 12


def yuan_to_fen(value: object, *, field: str = "amount") -> int:
    """`"12.90"` → 1290. Accepts str, int, Decimal, and float *only* via its shortest repr.

    Raises ValidationError naming `field` for empty text, garbage, or more than 2 decimals.
    """
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"{field}: expected an amount in yuan, got {value!r}", field=field)
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        # json.loads gave us a float; repr() is the shortest text that round-trips to it,
        # i.e. exactly the digits the platform sent.
        text = repr(value)
    elif isinstance(value, Decimal):
        text = str(value)
    else:
        text = str(value)
    cleaned = text.strip().replace(",", "")
    for mark in _CURRENCY_MARKS:
        cleaned = cleaned.replace(mark, "")
    cleaned = cleaned.strip()
    if not cleaned:
        raise ValidationError(f"{field}: amount is empty", field=field)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(
            f"{field}: {text.strip()!r} is not an amount in yuan", field=field
        ) from None
    if not amount.is_finite():
        raise ValidationError(f"{field}: {text.strip()!r} is not a finite amount", field=field)
    if abs(amount) > MAX_YUAN:
        raise ValidationError(f"{field}: {text.strip()!r} is implausibly large", field=field)
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValidationError(
            f"{field}: {text.strip()!r} has more than two decimals (fen is the smallest unit)",
            field=field,
        )
    return int(fen)


def fen_to_yuan_text(fen: int) -> str:
    """1290 → "12.90"; -5 → "-0.05". For display and for APIs that want yuan text."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
