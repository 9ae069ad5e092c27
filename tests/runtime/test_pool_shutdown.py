"""`shut_down_pool`: every wait bounded, even when a worker dies half-way through writing
its result (the hang that kept a print runner alive after it had reported)."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from core.runtime.processes import main_not_rerun, shut_down_pool, wait_for_exit
from tests.runtime import pool_faults


def _pool(workers: int = 1) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def test_a_half_written_result_does_not_hold_the_manager_thread() -> None:
    pool = _pool()
    with main_not_rerun():
        assert pool.submit(pool_faults.pid).result(60) > 0
    pool.submit(pool_faults.half_written_result)
    time.sleep(1.0)  # the worker has written its half message and sleeps
    manager = pool._executor_manager_thread  # type: ignore[attr-defined]
    processes = list(pool._processes.values())  # type: ignore[attr-defined]

    started = time.monotonic()
    shut_down_pool(pool, 5.0, grace=0.5, name="test pool")

    assert not manager.is_alive(), "the manager thread still waits for the rest of a result"
    assert not wait_for_exit(processes, 0)
    assert time.monotonic() - started < 12


def test_workers_finish_the_task_in_hand_within_the_grace() -> None:
    pool = _pool(2)
    with main_not_rerun():
        futures = [pool.submit(pool_faults.sleep, 0.3) for _ in range(6)]
    time.sleep(0.1)  # two tasks are running, four are queued
    shut_down_pool(pool, 5.0, grace=5.0, name="test pool")
    finished = [f for f in futures if f.done() and not f.cancelled()]
    assert [f.result() for f in finished] == [0.3] * len(finished)
    assert 1 <= len(finished) <= 4 and any(f.cancelled() for f in futures)


def test_wait_for_exit_sees_a_child_another_thread_reaped() -> None:
    context = multiprocessing.get_context("spawn")
    with main_not_rerun():
        process = context.Process(target=pool_faults.sleep, args=(0.2,))
        process.start()
    process.join(10)  # reaped here: a second join elsewhere could not tell
    assert wait_for_exit([process], 1.0) == []
