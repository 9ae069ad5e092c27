"""`core.runtime.heap.frozen_heap`: the collector ignores what existed before a bulk pass, and
gets it back after the last pass ends (a long-running worker must not keep garbage)."""

from __future__ import annotations

import gc
import threading

from core.runtime.heap import frozen_heap


def test_the_heap_is_frozen_inside_and_thawed_after() -> None:
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_cyclic_garbage_made_during_a_pass_is_collected_after_it() -> None:
    class Node:
        pass

    with frozen_heap():
        node = Node()
        node.self = node  # type: ignore[attr-defined]
        gc.freeze()  # as a second pass starting in another thread would
        del node
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, Node)]


def test_overlapping_passes_thaw_only_when_the_last_one_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def second_pass() -> None:
        with frozen_heap():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=second_pass)
    with frozen_heap():
        thread.start()
        assert inside.wait(5)
    assert gc.get_freeze_count() > 0  # the other pass still runs
    release.set()
    thread.join(5)
    assert gc.get_freeze_count() == 0
