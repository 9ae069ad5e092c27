"""Window planning: ≤ MAX_WINDOW, MIN_LAG behind the platform, overlap, oldest first,
backfill never moving the cursor back."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contracts.platform import OrderWindow
from core.errors import ValidationError
from core.sync.windows import (
    MAX_WINDOWS_PER_PASS,
    WindowRules,
    cursor_after,
    horizon,
    plan_backfill,
    plan_pass,
)

NOW = datetime(2026, 11, 27, 2, 0, 30, 250_000, tzinfo=UTC)
RULES = WindowRules(
    max_window=timedelta(minutes=30),
    min_lag=timedelta(minutes=3),
    overlap=timedelta(seconds=300),
    initial=timedelta(days=3),
)


def contiguous(windows) -> bool:
    return all(a.end == b.start for a, b in itertools.pairwise(windows))


def test_new_shop_reaches_back_initial_days_and_stops_min_lag_behind() -> None:
    plan = plan_pass(None, NOW, RULES, limit=1000)
    end = NOW.replace(microsecond=0) - timedelta(minutes=3)
    assert plan.end == end == horizon(NOW, RULES)
    assert plan.start == end - timedelta(days=3)
    assert len(plan.windows) == 3 * 24 * 2
    assert all(w.duration == timedelta(minutes=30) for w in plan.windows)
    assert contiguous(plan.windows)
    assert not plan.more


def test_pass_starts_overlap_before_the_cursor() -> None:
    cursor = NOW.replace(microsecond=0) - timedelta(minutes=47)
    plan = plan_pass(cursor, NOW, RULES)
    assert plan.start == cursor - timedelta(minutes=5)
    assert plan.end == horizon(NOW, RULES)
    assert [w.duration for w in plan.windows] == [timedelta(minutes=30), timedelta(minutes=19)]
    assert plan.windows[0].start < plan.windows[1].start  # oldest first


def test_nothing_to_do_when_the_cursor_is_at_the_horizon() -> None:
    assert plan_pass(horizon(NOW, RULES) + timedelta(minutes=5), NOW, RULES).windows == ()
    # Right after a pass the overlap alone is re-read.
    plan = plan_pass(horizon(NOW, RULES), NOW, RULES)
    assert [w.duration for w in plan.windows] == [timedelta(minutes=5)]


def test_long_catch_up_is_cut_into_passes() -> None:
    plan = plan_pass(NOW - timedelta(days=30), NOW, RULES)
    assert len(plan.windows) == MAX_WINDOWS_PER_PASS and plan.more
    nxt = plan_pass(plan.end, NOW, RULES)
    assert nxt.start == plan.end - RULES.overlap  # the next pass carries on where it stopped


@given(
    cursor_minutes=st.none() | st.integers(min_value=-3_000, max_value=10),
    lag=st.integers(min_value=0, max_value=600),
    overlap=st.integers(min_value=0, max_value=1_799),
    window=st.integers(min_value=60, max_value=1_800),
)
def test_any_plan_obeys_the_rules(cursor_minutes, lag, overlap, window) -> None:
    rules = WindowRules(
        max_window=timedelta(seconds=max(window, overlap + 1)),
        min_lag=timedelta(seconds=lag),
        overlap=timedelta(seconds=overlap),
        initial=timedelta(hours=5),
    )
    cursor = None if cursor_minutes is None else NOW + timedelta(minutes=cursor_minutes)
    plan = plan_pass(cursor, NOW, rules, limit=100_000)
    windows = plan.windows
    assert all(w.duration <= rules.max_window for w in windows)
    assert all(w.end <= NOW - rules.min_lag for w in windows)
    assert contiguous(windows)
    if windows and cursor is not None:
        assert windows[0].start == cursor - rules.overlap


def test_backfill_splits_the_range_and_clips_it_to_the_horizon() -> None:
    since = NOW - timedelta(hours=2)
    plan = plan_backfill(since, NOW + timedelta(hours=1), NOW, RULES)
    assert plan.start == since and plan.end == horizon(NOW, RULES)
    assert all(w.duration <= timedelta(minutes=30) for w in plan.windows)
    assert contiguous(plan.windows)


def test_backfill_range_errors_are_clear() -> None:
    with pytest.raises(ValidationError, match=r"ends .* before it starts"):
        plan_backfill(NOW - timedelta(hours=1), NOW - timedelta(hours=2), NOW, RULES)
    with pytest.raises(ValidationError, match="after the latest time"):
        plan_backfill(NOW - timedelta(minutes=1), NOW + timedelta(hours=1), NOW, RULES)
    with pytest.raises(ValidationError, match="timezone-aware"):
        plan_backfill(datetime(2026, 11, 1), NOW, NOW, RULES)


def test_cursor_moves_forward_only() -> None:
    cursor = NOW - timedelta(hours=1)
    inside = OrderWindow(cursor - timedelta(minutes=5), cursor + timedelta(minutes=25))
    assert cursor_after(cursor, inside, backfill=False) == inside.end
    assert cursor_after(None, inside, backfill=False) == inside.end
    earlier = OrderWindow(cursor - timedelta(hours=5), cursor - timedelta(hours=4, minutes=30))
    assert cursor_after(cursor, earlier, backfill=False) == cursor


def test_backfill_moves_the_cursor_only_where_it_joins_it() -> None:
    cursor = NOW - timedelta(hours=1)
    before = OrderWindow(cursor - timedelta(hours=3), cursor - timedelta(hours=2, minutes=30))
    assert cursor_after(cursor, before, backfill=True) == cursor  # never backwards
    joining = OrderWindow(cursor - timedelta(minutes=10), cursor + timedelta(minutes=20))
    assert cursor_after(cursor, joining, backfill=True) == joining.end
    touching = OrderWindow(cursor, cursor + timedelta(minutes=30))
    assert cursor_after(cursor, touching, backfill=True) == touching.end
    gap = OrderWindow(cursor + timedelta(minutes=1), cursor + timedelta(minutes=31))
    assert cursor_after(cursor, gap, backfill=True) == cursor  # a gap stays unsynced
    assert cursor_after(None, joining, backfill=True) is None  # a never-synced shop


def test_rules_refuse_an_overlap_as_long_as_a_window() -> None:
    with pytest.raises(ValidationError, match="overlap"):
        WindowRules(
            timedelta(minutes=30), timedelta(minutes=3), timedelta(minutes=30), timedelta(days=1)
        )
