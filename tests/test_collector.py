"""The bot's garbage collector setting: applied for the body only, whatever ends it."""

from __future__ import annotations

import gc

import pytest

from bot.collector import YOUNG_COLLECTION_EVERY, collecting_less_often


def test_the_young_generation_is_collected_less_often_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with collecting_less_often():
        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, *before[1:])
    assert gc.get_threshold() == before


def test_the_thresholds_come_back_when_the_body_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(KeyboardInterrupt), collecting_less_often():
        raise KeyboardInterrupt
    assert gc.get_threshold() == before
