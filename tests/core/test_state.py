"""The conversation state's in-memory helpers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from escalate.core import remember


def _reference(items: list[int], item: int, limit: int) -> list[int]:
    # What ``remember`` has always meant: append, then keep the newest ``limit``.
    kept = [*items, item]
    return kept[max(0, len(kept) - limit) :] if limit > 0 else []


@given(st.lists(st.integers(), max_size=12), st.integers(), st.integers(-1, 8))
def test_remember_keeps_the_newest_items_up_to_the_limit(
    items: list[int], item: int, limit: int
) -> None:
    expected = _reference(items, item, limit)
    remember(items, item, limit)
    assert items == expected


@given(st.lists(st.integers(), max_size=30), st.integers(1, 8))
def test_remembering_a_stream_keeps_its_tail(stream: list[int], limit: int) -> None:
    items: list[int] = []
    for item in stream:
        remember(items, item, limit)
    assert items == stream[-limit:]
