"""Column types: what they write must be what SQLAlchemy's own types would write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from core.models.base import UTCDateTime

DIALECT = sqlite.pysqlite.dialect()
OURS = UTCDateTime().bind_processor(DIALECT)
THEIRS = DateTime().dialect_impl(DIALECT).bind_processor(DIALECT)

zones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.just(UTC), zones),
)
@settings(max_examples=500, deadline=None)
def test_sqlite_datetimes_are_stored_as_sqlalchemy_stores_them(naive: datetime, zone) -> None:
    """Stored text must sort like time, whichever processor wrote it (the fast one in
    UTCDateTime, or SQLAlchemy's, e.g. in a migration or a raw table)."""
    aware = naive.replace(tzinfo=zone)
    assert OURS(aware) == THEIRS(aware.astimezone(UTC).replace(tzinfo=None))


def test_naive_datetimes_are_refused_and_none_passes() -> None:
    assert OURS(None) is None
    with pytest.raises(ValueError, match="naive"):
        OURS(datetime(2026, 11, 27, 5, 0))
