"""Bounds on what a decision carries, so its size does not grow with the text.

Hit-dense text (thousands of emoji or swear words in one turn) makes a detector return
thousands of evidence items; copied into the decision, they would make a 16 KB turn a 300 KB
response, audit record and log line. The step bounds the evidence once, here, for every
detector and rule: a few items per reason, each quote cut short, and a count of the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from escalate.core._models import Evidence, Reason

__all__ = ["EVIDENCE_PER_REASON", "EVIDENCE_TEXT_CHARS", "bounded_reasons"]

EVIDENCE_PER_REASON: Final = 10
"""Evidence items a reason keeps; the rest are counted in ``Reason.evidence_omitted``.

Ten keeps every reason of the 60,000 development turns whole (the most seen was nine).
"""
EVIDENCE_TEXT_CHARS: Final = 200
"""Characters of an evidence quote kept; a longer one is cut and ends with an ellipsis."""
_ELLIPSIS: Final = "\u2026"


def bounded_reasons(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """``reasons`` with at most ``EVIDENCE_PER_REASON`` short items each (itself if within)."""
    if all(_within(reason) for reason in reasons):  # the usual case costs one pass, no copy
        return reasons
    return tuple(reason if _within(reason) else _bounded(reason) for reason in reasons)


def _within(reason: Reason) -> bool:
    return len(reason.evidence) <= EVIDENCE_PER_REASON and all(
        len(item.text) <= EVIDENCE_TEXT_CHARS for item in reason.evidence
    )


def _bounded(reason: Reason) -> Reason:
    kept = _chosen(reason.evidence)
    return reason.model_copy(
        update={
            "evidence": tuple(_short(item) for item in kept),
            "evidence_omitted": reason.evidence_omitted + len(reason.evidence) - len(kept),
        }
    )


def _chosen(items: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """Up to the limit, every kind of evidence before a second item of any kind, in order.

    Three thousand angry emoji must not crowd out the one "let me talk to a person".
    """
    if len(items) <= EVIDENCE_PER_REASON:
        return items
    picked: set[int] = set()
    kinds: set[str] = set()
    for position, item in enumerate(items):
        if item.kind not in kinds:
            kinds.add(item.kind)
            picked.add(position)
            if len(picked) == EVIDENCE_PER_REASON:
                break
    for position in range(len(items)):
        if len(picked) == EVIDENCE_PER_REASON:
            break
        picked.add(position)
    return tuple(items[position] for position in sorted(picked))


def _short(item: Evidence) -> Evidence:
    if len(item.text) <= EVIDENCE_TEXT_CHARS:
        return item
    return item.model_copy(update={"text": item.text[: EVIDENCE_TEXT_CHARS - 1] + _ELLIPSIS})
