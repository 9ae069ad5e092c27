"""The receiver key: one keyed hash of who and where an order goes, for merge candidates.

Two orders go in one package only when they go to the same person at the same place, in
the same shop. The hash is built on the normalised name, phone, province, city, district
and street detail (whitespace and full-width forms folded, the phone's digits only), so
that spelling noise does not hide a match while any real difference does. Platform
ciphertext (Pinduoduo's encrypted receivers) is hashed as it is: equal ciphertexts mean
the same receiver, and a platform that encrypts one receiver differently per order just
yields no candidates. Like the phone hash, it is derived from the oldest key (stable across
key rotations) and never reveals the receiver.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from core import masking
from core.contracts.types import Contact
from core.crypto import Keyring

PURPOSE = "receiver"

#: On the phone's digits (core.masking.normalise_phone): a mainland mobile, or a landline
#: of 0 + a 2–3 digit area code + a 7–8 digit number.
MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
#: An extension after the number: "-1234", "#12", "转8".
_EXTENSION = re.compile(r"[-#转]\d{1,6}$")
#: A character no phone number has (digits, spaces, brackets, +, #, 转 and dashes).
_NOT_PHONE = re.compile(r"[^\d\s()（）+#转-]")


def phone_shape_ok(phone: str) -> bool:
    """Whether `phone` is a mainland mobile (11 digits from 13–19, +86 allowed) or a
    landline with its area code (`0571-88886666`), an extension allowed; spaces, dashes
    and brackets are ignored. One definition for the audit rule and for edits."""
    text = phone.strip()
    if _NOT_PHONE.search(text):
        return False  # letters or other marks: not a phone number
    return _number_ok(text) or _number_ok(_EXTENSION.sub("", text))


def _number_ok(text: str) -> bool:
    digits = masking.normalise_phone(text)
    return bool(MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits))


def receiver_hash(keyring: Keyring, receiver: Contact) -> str | None:
    """The keyed hash of `receiver`, or None when there is nobody to match (no name, no
    phone and no address)."""
    return receiver_hash_of(
        keyring,
        name=receiver.name,
        phone=receiver.phone,
        province=receiver.province,
        city=receiver.city,
        district=receiver.district,
        address=receiver.address,
        encrypted=receiver.encrypted,
    )


def receiver_hash_of(
    keyring: Keyring,
    *,
    name: str | None,
    phone: str | None,
    province: str,
    city: str,
    district: str,
    address: str | None,
    encrypted: bool = False,
) -> str | None:
    """`receiver_hash` from the separate fields (an order row being edited)."""
    if not (name or phone or address):
        return None
    phone_part = (phone or "") if encrypted else masking.normalise_phone(phone or "")
    place = _fold_place(province, city, district)
    key = "\x1f".join((_fold(name or ""), _fold(phone_part), place, _fold(address or "")))
    return keyring.keyed_hash(key, PURPOSE)


@lru_cache(maxsize=4096)
def _fold_place(province: str, city: str, district: str) -> str:
    """The folded division names, remembered: a few thousand places cover every order."""
    return "\x1f".join((_fold(province), _fold(city), _fold(district)))


def _fold(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), no whitespace, lower case."""
    if not text.isascii():  # ASCII (platform ciphertext, often) is its own NFKC form
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).lower()
