"""The Pinduoduo gateway signature (pinduoduo.md §1.3).

The gateway recomputes the sign over the parameters it *received*, so we must sign exactly
the strings we transmit: `stringify` is the one place a Python value becomes wire text
(booleans as `true`/`false`, objects as compact JSON), and `sign_params` works only on
text that has already been through it. The sandbox gateway imports both so client and
double can never disagree on the algorithm.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal

SIGN_PARAM = "sign"


def stringify(value: object) -> str:
    """`value` as the text sent on the wire and signed.

    bool → `true`/`false` (Java/JS `toString`, not Python's `True`); dict/list/tuple →
    compact JSON with non-ASCII kept verbatim; str unchanged; numbers via `str`. `None`
    has no wire form — callers drop absent parameters before calling this.
    """
    if value is None:
        raise TypeError("None has no wire form; leave the parameter out instead")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    raise TypeError(f"cannot send a {type(value).__name__} as a Pinduoduo parameter")


def _json_default(value: object) -> object:
    # Decimal and other types have no single obvious JSON form; the caller decides.
    raise TypeError(f"cannot encode a {type(value).__name__} inside a JSON parameter")


def sign_params(params: Mapping[str, str], client_secret: str) -> str:
    """Upper-case hex MD5 of `secret + name1value1name2value2… + secret` over every
    parameter except `sign`, sorted by name in ASCII byte order.

    `params` must already be wire text (see `stringify`); a non-str value is refused rather
    than silently rendered differently from what is sent.
    """
    parts: list[str] = [client_secret]
    for name in sorted((k for k in params if k != SIGN_PARAM), key=lambda k: k.encode()):
        value = params[name]
        if not isinstance(value, str):
            raise TypeError(
                f"parameter {name!r} is a {type(value).__name__}; stringify it before signing"
            )
        parts.append(name)
        parts.append(value)
    parts.append(client_secret)
    return hashlib.md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest().upper()
