"""The interpreter settings ``serve`` runs with."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from bot import interpreter


@pytest.fixture
def restored() -> Iterator[None]:
    switch, thresholds = sys.getswitchinterval(), gc.get_threshold()
    yield
    gc.unfreeze()
    sys.setswitchinterval(switch)
    gc.set_threshold(*thresholds)


def test_tune_shortens_thread_switches_and_collects_less_often(restored: None) -> None:
    gc.set_threshold(700, 10, 10)
    interpreter.tune()
    assert sys.getswitchinterval() == pytest.approx(interpreter.SWITCH_INTERVAL_SECONDS)
    assert gc.get_threshold() == (interpreter.YOUNGEST_GENERATION_THRESHOLD, 10, 10)


def test_objects_alive_at_startup_are_frozen_and_later_garbage_is_still_collected(
    restored: None,
) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector can free it

    startup_objects = [Node() for _ in range(1_000)]
    interpreter.freeze_startup_objects()
    assert gc.get_freeze_count() >= len(startup_objects)
    watched = {id(node) for node in startup_objects}
    assert not watched & {id(each) for each in gc.get_objects()}  # out of the collector's sight
    Node()  # garbage created after startup
    assert gc.collect() >= 1
