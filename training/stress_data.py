"""The stress scorer's training data: only sets whose licence allows shipping a model.

- GoEmotions (Demszky et al. 2020), CC BY 4.0: Reddit comments; ``expect`` negative -> 1,
  non_negative -> 0, mixed -> once as each, weighed lightly.
- BANKING77 (Casanueva et al. 2020), CC BY 4.0: routine customer-service requests -> 0.
- CamRest676 (Wen et al. 2017), CC BY 4.0: user turns of routine restaurant dialogs -> 0.
- A few generic lines of our own (``OWN``): calm requests and plain anger in support chats.

Every source is split by a seeded hash of its id: one fifth is held out, never trained on, and
``measure_stress.py`` reports on it. Nothing else is read: EmoWOZ, SemEval, DailyDialog, KVRET,
Bitext, Taskmaster and the airline tweets are for evaluation only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import NamedTuple

SEED = 20261203
SELF_AIMED = frozenset({"remorse", "embarrassment"})
HELD_OUT = 5
"""One in this many lines (by hash) is held out."""

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev"

# Our own lines (not from any dataset): support-chat anger and calm requests, few and generic.
OWN: tuple[tuple[str, int], ...] = (
    ("I am furious, you took my money and nobody answers", 1),
    ("This is a disgrace. Give me my refund now!", 1),
    ("I have explained this five times already and you keep ignoring me", 1),
    ("Your service is a joke and I am sick of waiting", 1),
    ("I'm scared I will lose my home if this payment fails", 1),
    ("Can I change the email address on my account?", 0),
    ("Please send me the receipt for last month", 0),
    ("What time does the shop open on Sunday?", 0),
    ("Thanks, that answers my question", 0),
    ("I would like to book a table for two tonight", 0),
)


class Example(NamedTuple):
    """One labelled text."""

    key: str
    text: str
    label: int
    source: str


def held_out(key: str) -> bool:
    """Whether the line with this id belongs to the held-out fifth (seeded, stable)."""
    digest = hashlib.sha256(f"{SEED}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % HELD_OUT == 0


def read_lines(path: Path) -> list[dict[str, object]]:
    """Every JSON line of a file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def goemotions(data: Path) -> list[Example]:
    """GoEmotions comments: negative -> 1, non-negative -> 0, mixed -> both (``goemotions_mixed``).

    A mixed comment (confusion, curiosity, surprise, realisation, or labels of both signs) is
    neither calm nor upset: it appears once with each label, and the trainer weighs those lightly,
    which pulls its words towards the middle. Comments whose only negative labels are remorse or
    embarrassment are left out: an apology is aimed at oneself, not stress ("sorry, my mistake").
    """
    found = []
    for row in read_lines(data / "ext" / "goemotions_utterances.jsonl"):
        if row.get("source") != "goemotions":
            continue
        labels = row.get("labels")
        if isinstance(labels, list) and set(labels) <= SELF_AIMED:
            continue
        key, text = str(row["id"]), str(row["text"])
        if row["expect"] == "mixed":
            found.append(Example(key, text, 0, "goemotions_mixed"))
            found.append(Example(key, text, 1, "goemotions_mixed"))
        elif row["expect"] in {"negative", "non_negative"}:
            found.append(Example(key, text, int(row["expect"] == "negative"), "goemotions"))
    return found


def banking77(data: Path) -> list[Example]:
    """BANKING77 routine requests (the informational intents), all calm."""
    return [
        Example(str(row["id"]), str(row["text"]), 0, "banking77")
        for row in read_lines(data / "real" / "utterances.jsonl")
        if row.get("source") == "banking77" and row.get("expect") == "continue"
    ]


def camrest(data: Path) -> list[Example]:
    """CamRest676 user turns (never KVRET), split by dialog."""
    return [
        Example(str(row["conversation_id"]), str(row["text"]), 0, "camrest")
        for row in read_lines(data / "ext" / "routine_conversations.jsonl")
        if row.get("source") == "camrest" and row.get("role") == "user"
    ]


def own() -> list[Example]:
    """The hand-written lines, always trained on."""
    return [Example(f"own-{i}", text, label, "own") for i, (text, label) in enumerate(OWN)]


def split(data: Path) -> tuple[list[Example], list[Example]]:
    """(training, held-out) examples, in a fixed order."""
    train: list[Example] = own()
    held: list[Example] = []
    for example in [*goemotions(data), *banking77(data), *camrest(data)]:
        (held if held_out(example.key) else train).append(example)
    return train, held
