"""Masked copies of buyer personal data for lists, logs and users without `pii.view`.

Masks keep just enough for an operator to recognise an order on the phone with a buyer
(surname, last four digits, the start of the street) and nothing that identifies the buyer.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_name(name: str) -> str:
    """张三丰 → 张**; Li Lei → L*****; empty stays empty."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short or odd numbers keep only their last two digits."""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_address(address: str, keep: int = 6) -> str:
    """The first `keep` characters of the street detail, then ****."""
    address = address.strip()
    if not address:
        return ""
    return address[:keep] + "****"


def normalise_phone(phone: str) -> str:
    """Digits only, without a leading +86/86 country code: what the search hash is built on."""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits
