"""`Idempotency-Key` for any operation declared `idempotent=True` (`api.contract`).

The key, and a SHA-256 of the method, path and raw body, go to `core.idempotency.service`,
which keeps them in the database (so every API process sees them): the first request is
handled and its answer stored; a retry with the same key and request gets the stored
answer byte for byte (with `Idempotent-Replayed: true`); the same key with another request
is a 422 naming `Idempotency-Key`; a retry while the first is still being handled waits
for it, then gets 409 `idempotency_in_progress`. A request that fails (any problem) frees
its key: only answers given are replayed. Without the header, the operation runs as usual.
"""

from __future__ import annotations

import logging

from api.contract import Call, Encoded, Operation, encode_json
from core.idempotency import service

log = logging.getLogger("orderhub.api")
REPLAYED = "Idempotent-Replayed"


def handle(op: Operation, call: Call, method: str, path: str, raw: bytes) -> Encoded | object:
    key = call.header(service.HEADER)
    if key is None or call.actor is None:
        return op.handler(call)
    stored = service.begin(call.app, call.actor, key, service.fingerprint(method, path, raw))
    if stored is not None:
        return Encoded(stored.body or None, stored.status, {**stored.headers, REPLAYED: "true"})
    try:
        encoded = encode_json(op, op.handler(call))
    except BaseException:
        _abandon(call, key)
        raise
    service.finish(
        call.app, call.actor, key, encoded.status, encoded.content or b"", encoded.headers
    )
    return encoded


def _abandon(call: Call, key: str) -> None:
    try:
        assert call.actor is not None
        service.abandon(call.app, call.actor, key)
    except Exception:  # the key then waits out STALE; never hide the original error
        log.exception("could not free Idempotency-Key %r", key)
