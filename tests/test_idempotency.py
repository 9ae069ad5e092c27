"""Idempotency keys through the service, on both backends: the first request holds the
key, its answer is replayed, a different request with the key is refused, a concurrent
one waits, a failed one frees the key, and old keys expire and are purged."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.errors import ValidationError
from core.idempotency import service
from core.idempotency.service import InProgress, Stored
from core.models import IdempotencyKey

FP = service.fingerprint("POST", "/v1/print-jobs", b'{"a":1}')


def _count(app) -> int:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        return session.scalar(select(func.count()).select_from(IdempotencyKey))


def test_first_request_holds_the_key_and_its_answer_is_replayed(app, acme) -> None:  # type: ignore[no-untyped-def]
    assert service.begin(app, acme.admin, "k-1", FP) is None
    service.finish(app, acme.admin, "k-1", 201, b'{"id":7}', {"Location": "/v1/print-jobs/7"})
    again = service.begin(app, acme.admin, "k-1", FP)
    assert again == Stored(201, b'{"id":7}', {"Location": "/v1/print-jobs/7"})
    assert _count(app) == 1


def test_the_same_key_with_another_request_is_refused(app, acme) -> None:  # type: ignore[no-untyped-def]
    assert service.begin(app, acme.admin, "k-1", FP) is None
    other = service.fingerprint("POST", "/v1/print-jobs", b'{"a":2}')
    with pytest.raises(ValidationError) as caught:
        service.begin(app, acme.admin, "k-1", other)
    assert caught.value.details["field"] == "Idempotency-Key"


def test_keys_are_per_org(app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    assert service.begin(app, acme.admin, "k-1", FP) is None
    service.finish(app, acme.admin, "k-1", 201, b"acme", {})
    assert service.begin(app, globex.admin, "k-1", FP) is None  # globex's own, not acme's


def test_a_concurrent_retry_waits_for_the_first_then_replays(app, acme) -> None:  # type: ignore[no-untyped-def]
    assert service.begin(app, acme.admin, "k-1", FP) is None
    with pytest.raises(InProgress) as caught:
        service.begin(app, acme.admin, "k-1", FP, wait=0)
    assert caught.value.code == "idempotency_in_progress"
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(service.begin(app, acme.admin, "k-1", FP)))
    waiter.start()
    service.finish(app, acme.admin, "k-1", 201, b"first", {})
    waiter.join(10)
    assert got == [Stored(201, b"first", {})]


def test_a_failed_request_frees_its_key(app, acme) -> None:  # type: ignore[no-untyped-def]
    assert service.begin(app, acme.admin, "k-1", FP) is None
    service.abandon(app, acme.admin, "k-1")
    assert _count(app) == 0
    assert service.begin(app, acme.admin, "k-1", FP) is None


def test_old_and_stale_keys_are_taken_over_and_purged(app, acme) -> None:  # type: ignore[no-untyped-def]
    start = clock.now()
    try:
        assert service.begin(app, acme.admin, "done", FP) is None
        service.finish(app, acme.admin, "done", 200, b"old", {})
        assert service.begin(app, acme.admin, "dead", FP) is None  # its process died
        clock.set_clock(lambda: start + service.STALE + timedelta(seconds=1))
        assert service.begin(app, acme.admin, "dead", FP, wait=0) is None
        assert service.begin(app, acme.admin, "done", FP) == Stored(200, b"old", {})
        clock.set_clock(lambda: start + service.TTL + timedelta(seconds=1))
        other = service.fingerprint("POST", "/x", b"")
        assert service.begin(app, acme.admin, "done", other) is None  # a day later: new
        clock.set_clock(lambda: start + 2 * service.TTL + timedelta(seconds=2))
        assert service.purge(app) == 2
    finally:
        clock.set_clock(None)
    assert _count(app) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "has space"])
def test_a_key_is_short_visible_ascii(app, acme, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        service.begin(app, acme.admin, key, FP)
    assert caught.value.details["field"] == "Idempotency-Key"


def test_the_worker_pass_purges_hourly(app, acme) -> None:  # type: ignore[no-untyped-def]
    from core.idempotency.passes import PASS_SECONDS, PurgePass

    start = clock.now()
    ticks = [0.0]
    purge_pass = PurgePass(app, monotonic=lambda: ticks[0])
    try:
        assert service.begin(app, acme.admin, "k1", FP) is None
        service.finish(app, acme.admin, "k1", 201, b"{}", {})
        assert purge_pass() == 0  # young keys stay
        clock.set_clock(lambda: start + service.TTL + timedelta(seconds=1))
        ticks[0] = PASS_SECONDS / 2
        assert purge_pass() == 0  # not an hour since the last pass: nothing looked at
        assert _count(app) == 1
        ticks[0] = PASS_SECONDS + 1
        assert purge_pass() == 1
    finally:
        clock.set_clock(None)
    assert _count(app) == 0
