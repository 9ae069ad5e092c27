"""Optimistic concurrency over HTTP: a resource's version travels as its `ETag`, and an
edit sends it back in `If-Match`; core compares it with the stored version and answers a
`Conflict` (409) when somebody else changed the resource in between.

ETags are strong and quoted (`"7"`); `W/"7"` is accepted too, since proxies may weaken
them. `If-Match: *` means "whatever version" (no check).
"""

from __future__ import annotations

import re

from api.contract import Call, Header
from core.errors import ValidationError

IF_MATCH = Header(
    "If-Match",
    "the ETag of the version you edited; a 409 answers when the resource changed since",
)
_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(call: Call) -> int | None:
    """The version named by `If-Match`, or None when the header is absent or `*`."""
    raw = call.header("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = _TAG.match(raw.strip())
    if match is None:
        raise ValidationError(
            f'If-Match: expected an ETag such as "3" (from the resource\'s ETag), got {raw!r}',
            field="If-Match",
        )
    return int(match.group(1))
