"""Masked copies of buyer personal data and of secrets, for lists, messages and logs.

Masks keep just enough for an operator to recognise an order on the phone with a buyer
(surname, last four digits, the start of the street) and nothing that identifies the buyer.
`mask_dsn` is the one place that hides database passwords in URLs, connection strings and
any text that may quote them (driver errors, tool output): every message, log line and
report that shows a database URL goes through it.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")

MASK = "****"
# `scheme://user:password@host`: the password runs to the *last* `@` on the line, since a
# password typed as is may hold `@`, `:`, `/` or spaces (when in doubt, mask more).
_URL_USERINFO = re.compile(r"(?P<head>//[^\s:/@'\"]*:)[^\n]*@")
# `user:password@host` without a `//` before it (`postgres//u:p@h`, `u:p@h`): one token.
_BARE_USERINFO = re.compile(r"(?P<head>(?<![^\s'\"(<\[=,])[^\s:/@'\"]+:)(?!//)\S*@")
# `?password=…` / `&sslpassword=…` in a URL's query: the value runs to the next `&`.
_QUERY_PASSWORD = re.compile(r"(?i)(?P<head>[?&;]\w*password=)[^&#\s]*")
# libpq `password=…` (also `password = '…'`, `sslpassword`, `PGPASSWORD=…`).
_KEY_PASSWORD = re.compile(
    r"""(?i)(?P<head>(?<![\w?&;])\w*password\s*=\s*)"""
    r"""(?:'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|\S+)"""
)


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


def mask_dsn(text: str) -> str:
    """`text` with every database password replaced by `****`; the rest as it was.

    Covers `scheme://user:password@host` (special characters typed as is or %-encoded),
    `password=` and `sslpassword=` query parameters, libpq `key=value` strings (quoted
    values too) and `user:password@host` in text that is not a valid URL. `passfile` names
    a file, not a secret, and stays. Works on a bare URL as on a whole message around it.
    """
    text = _URL_USERINFO.sub(rf"\g<head>{MASK}@", text)
    text = _BARE_USERINFO.sub(rf"\g<head>{MASK}@", text)
    text = _QUERY_PASSWORD.sub(rf"\g<head>{MASK}", text)
    return _KEY_PASSWORD.sub(rf"\g<head>{MASK}", text)
