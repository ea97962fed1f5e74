"""The bot's garbage collector settings: applied for the body only, whatever ends it."""

from __future__ import annotations

import gc

import pytest

from bot.collector import FULL_COLLECTION_AFTER, YOUNG_COLLECTION_EVERY, collecting_less_often, collector_paused


def test_the_young_generation_and_full_collections_come_less_often_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with collecting_less_often():
        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, before[1], FULL_COLLECTION_AFTER)
    assert gc.get_threshold() == before


def test_the_thresholds_come_back_when_the_body_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(KeyboardInterrupt), collecting_less_often():
        raise KeyboardInterrupt
    assert gc.get_threshold() == before


@pytest.mark.parametrize("was_enabled", [True, False])
def test_a_pause_turns_the_collector_off_and_back_to_what_it_was(was_enabled: bool) -> None:
    (gc.enable if was_enabled else gc.disable)()
    try:
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():  # nested: the inner pause must not turn it back on
                pass
            assert not gc.isenabled()
        assert gc.isenabled() is was_enabled
        with pytest.raises(ValueError), collector_paused():
            raise ValueError
        assert gc.isenabled() is was_enabled
    finally:
        gc.enable()
