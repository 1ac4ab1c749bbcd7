"""Emotional stress: a learned scorer as the base, plus what it misses in support chats.

The base is the learned turn scorer (``signals._learned``: words, word pairs, shouting and
VADER's compound, trained on public data), which ranks negative text better than VADER alone on
sets nobody tuned it on. What a general model does not know about support chats, "third time I'm
asking", "thanks for nothing", "all the money I have", the lexicon (``lexicons/stress.yaml``)
names; this module adds those, shouting and punctuation runs, and follows the trajectory over
the user's turns. The result is graded: calm texts sit near zero, mild annoyance low, anger
high. Positive excitement ("AMAZING!!!") is not stress.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, ClassVar, Final

from escalate.core import EVIDENCE_KEPT, ConversationState, StressMemory, remembered
from escalate.models import Evidence, Role
from escalate.signals._context import matches as lexicon_matches
from escalate.signals._context import polarity, vader_analyser, vader_words
from escalate.signals._learned import stress_model
from escalate.signals.base import SignalReading, TurnContext, evidence, evidence_from, noisy_or

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from escalate.signals._learned import TurnScore
    from escalate.signals._lexicon import LexiconMatch

__all__ = [
    "NEGATIVE_FAMILIES",
    "StressDetector",
    "learned_component",
    "sentiment_component",
    "vader_analyser",
    "vader_words",
]

# Families that only colour a turn (they never raise stress on their own).
_MODIFIERS: Final = frozenset(
    {"emphasis", "hedge", "laughter", "resolved", "sarcasm_cue", "not_own_feeling", "service_name"}
)
NEGATIVE_FAMILIES: Final = frozenset(
    {
        "insult",
        "profanity",
        "mild_profanity",
        "anger",
        "frustrating",
        "accusation",
        "frustration",
        "exasperation",
        "repeated_effort",
        "impatience",
        "sarcasm",
        "despair",
        "plea",
        "anger_emoji",
        "churn_threat",
        "complaint",
        "mild_annoyance",
    }
)
"""Stress families that make a turn unmistakably negative, so sarcastic praise and shouting
count (the trust detectors read sarcasm the same way)."""
_SHOUT_WORD = re.compile(r"\b[A-Z][A-Z']*[A-Z]\b")
_ANY_WORD = re.compile(r"\b[^\W\d_]{2,}\b")
_PUNCTUATION_RUN = re.compile(r"[!?]*(?:!{3,}|\?{3,}|\?!|!\?)[!?]*")

_SHOUT_SCORE: Final = 0.3
_EMPHASIS_SCORE: Final = 0.2
_PUNCTUATION_SCORE: Final = 0.2
_HEDGE_FACTOR: Final = 0.8
_RESOLVED_FACTOR: Final = 0.5
_RISE_SCORE: Final = 0.2
_RISE_STEP: Final = 0.05
"""Each of the three turns must be this much above the one before to count as rising: the learned
base moves a little on every calm turn, and 0.00 -> 0.01 -> 0.45 is one upset turn, not a rise."""
_AVERAGE_WEIGHT: Final = 0.5
_HISTORY: Final = 3
_POSITIVE: Final = 0.3
"""VADER compound from which a turn reads as positive: capitals and "!!!" are excitement."""
_NEGATIVE_EVIDENCE: Final = -0.5
_SHOUTED_WORDS: Final = 2
_SHOUTED_SHARE: Final = 0.6
_TRAJECTORY_FLOOR: Final = 0.3
"""A turn must carry this much stress of its own for the trajectory to add to it."""
_SUSTAINED: Final = 0.4
_LEARNED_SCALE: Final = 0.7
_LEARNED_CAP: Final = 0.45
"""The scorer's probability p gives ``min(0.45, 0.7 p)``: linear, so the level ranks turns as
the scorer does (up to p ~ 0.64); calm text (p ~ 0.1) sits near 0, and negative wording alone
stays below the default offer threshold, far enough that a plain complaint word (0.12) does not
tip it over: an offer takes a real support-chat cue as well (frustration, abuse, shouting...)."""
_INTENSE_FROM: Final = 0.5
"""VADER compound below minus this lifts the learned part's cap."""
_INTENSE_LIFT: Final = 0.2
_GENERAL: Final = frozenset(
    {
        "insult",
        "profanity",
        "mild_profanity",
        "anger",
        "frustrating",
        "frustration",
        "anxiety",
        "worry",
        "mild_annoyance",
        "complaint",
        "anger_emoji",
    }
)
"""Families of general negative words, which the learned scorer reads too. Not ``panic``: acute
fear counts whole, so with something at stake ("my flight leaves in 3 hours") it is a handoff."""
_GENERAL_WEIGHT: Final = 0.9
"""Those families count a little less than in full: the scorer has already counted the words."""
_WEAK: Final = frozenset({"mild_annoyance", "complaint"})
"""General families too weak to add to the scorer, which reads their words ("annoying",
"disappointed"): they stand in for it (the larger of the two counts), so mild annoyance stays
below an offer."""
_LEARNED_EVIDENCE: Final = 0.5
"""The scorer's words are quoted as evidence once its probability reaches this."""
_FIGURATIVE: Final = _GENERAL | {"despair", "plea", "high_stakes"}
"""Families of emotion words that positive text uses too ("crying with laughter", "mad
skills"): they count for less when the scorer and VADER both read the whole turn as positive."""
_CALM_PROBABILITY: Final = 0.15
_LAUGHING_PROBABILITY: Final = 0.8
"""With laughter in the turn, emotion words are figurative unless the scorer is sure the turn is
negative: it reads swearing as negative, and laughing swearing ("stupid damn video lmao") is
amusement."""
_FIGURATIVE_FACTOR: Final = 0.5
_DISTRESS: Final = frozenset({"panic", "anxiety", "despair", "plea"})
_AT_STAKE: Final = 0.4
"""What fear or despair adds when the turn also names something at stake (rent due, a child's
medicine tonight): together they are a handoff, whatever each family scores alone."""


def sentiment_component(compound: float) -> float:
    """Map VADER's compound score (-1..1) to a stress contribution (0..~0.5).

    Graded over the whole range, so that even among positive texts the less positive rank
    higher; strongly negative text alone stays below the default offer threshold. The stress
    level no longer uses it (VADER's compound is one of the learned scorer's features); kept for
    callers that grade bare VADER the same way.
    """
    negative = max(0.0, -compound)
    return float(0.08 * (1.0 - compound) / 2.0 + 0.45 * negative**1.3)


def learned_component(probability: float, compound: float = 0.0) -> float:
    """Map the learned scorer's probability (0..1) to a stress contribution (0..0.65).

    The probability says how sure the scorer is that the text is negative, not how strongly:
    it rises linearly to a cap of 0.45, below an offer, and VADER's compound, which does grade
    intensity, lifts the cap for strongly negative wording (compound -0.5 to -1: 0.45 to 0.65).

    Examples:
        >>> [round(learned_component(p), 2) for p in (0.1, 0.5, 0.99)]
        [0.07, 0.35, 0.45]
        >>> round(learned_component(0.9, compound=-0.9), 2)
        0.61
    """
    intensity = min(1.0, max(0.0, (-compound - _INTENSE_FROM) / (1.0 - _INTENSE_FROM)))
    return min(_LEARNED_CAP + _INTENSE_LIFT * intensity, _LEARNED_SCALE * probability)


class StressDetector:
    """Scores anger, frustration, anxiety, despair, sarcasm, shouting and abuse."""

    name = "stress"
    lexicons: ClassVar[frozenset[str]] = frozenset({"stress"})
    """The bundled lexicons ``observe`` reads (``signals.matches``)."""
    kinds_written: ClassVar[frozenset[str]] = frozenset(
        {
            "learned_stress",
            "negative_sentiment",
            "punctuation_run",
            "rising_stress",
            "shouting",
            "sustained_stress",
        }
    )
    """Evidence kinds ``observe`` writes in code (lexicon kinds come from its lexicon)."""
    memory: ClassVar[type[StressMemory] | None] = StressMemory
    """Its memory, kept in ``state.memories`` under its name and forgotten when a person hands
    back to the bot."""

    def __init__(self) -> None:
        vader_analyser()  # load VADER's lexicon and the scorer now, not on the first turn
        stress_model()

    def observe(self, turn: TurnContext, state: ConversationState) -> SignalReading:
        """Score a user turn; other turns carry the last user turn's level."""
        memory = state.memory(self.name, StressMemory)
        if turn.role is not Role.USER:
            return SignalReading(memory.level, tuple(memory.evidence))
        vader = polarity(turn)
        compound = vader.compound
        by_family: defaultdict[str, list[LexiconMatch]] = defaultdict(list)
        for match in lexicon_matches(turn, "stress"):
            by_family[match.family].append(match)
        negative = compound < 0.0 or not NEGATIVE_FAMILIES.isdisjoint(by_family)
        shares = (vader.negative, vader.positive)
        learned = stress_model().score(turn.text.raw, compound, turn.text.folded, shares=shares)
        # Distress about something at stake ("I'm begging you, I need this money for her
        # medicine tonight") is no figure of speech, however politely it is put.
        at_stake = "high_stakes" in by_family and not _DISTRESS.isdisjoint(by_family)
        figurative = not at_stake and (
            (learned.probability < _CALM_PROBABILITY and compound >= _POSITIVE)
            or ("laughter" in by_family and learned.probability < _LAUGHING_PROBABILITY)
        )
        components = [learned_component(learned.probability, compound)]
        if at_stake:
            components.append(_AT_STAKE)
        found = self._lexicon_components(
            turn, by_family, components, negative=negative, figurative=figurative
        )
        found.extend(self._learned_evidence(turn, learned, found))
        if compound < _POSITIVE or negative:
            found.extend(self._intensity(turn, components, by_family.get("emphasis", ())))
        if compound <= _NEGATIVE_EVIDENCE:
            found.append(
                evidence("negative_sentiment", f"VADER compound {compound:.2f}", turn.index)
            )
        turn_score = noisy_or(components)
        if "hedge" in by_family:
            turn_score *= _HEDGE_FACTOR
        if "resolved" in by_family and not negative:
            turn_score *= _RESOLVED_FACTOR
        level = self._with_trajectory(turn, memory.recent, memory.average, turn_score, found)
        memory.average = _AVERAGE_WEIGHT * memory.average + (1 - _AVERAGE_WEIGHT) * turn_score
        memory.recent = remembered(memory.recent, turn_score, _HISTORY)
        memory.level = level
        memory.evidence = tuple(found[:EVIDENCE_KEPT])
        return SignalReading(level, tuple(found))

    @staticmethod
    def _lexicon_components(
        turn: TurnContext,
        by_family: Mapping[str, list[LexiconMatch]],
        components: list[float],
        *,
        negative: bool,
        figurative: bool,
    ) -> list[Evidence]:
        """Add each family's score to ``components`` (the learned part first); its evidence."""
        found: list[Evidence] = []
        for family, matches in by_family.items():
            if family in _MODIFIERS and not (family == "sarcasm_cue" and negative):
                continue
            score = matches[0].score
            if figurative and family in _FIGURATIVE:
                score *= _FIGURATIVE_FACTOR
            found.extend(evidence_from(matches, turn.index))
            if family in _WEAK:
                components[0] = max(components[0], score)
                continue
            if family in _GENERAL:
                score *= _GENERAL_WEIGHT
            # More of the same adds less: each further match closes a quarter of the gap.
            components.extend([score] + [score / 4] * (len(matches) - 1))
        return found

    @staticmethod
    def _learned_evidence(
        turn: TurnContext, learned: TurnScore, found: list[Evidence]
    ) -> list[Evidence]:
        """The scorer's strongest words, unless a lexicon match already quotes them."""
        if learned.probability < _LEARNED_EVIDENCE:
            return []
        quoted = [e.span for e in found if e.span is not None]
        return [
            evidence("learned_stress", push.text, turn.index, push.span)
            for push in learned.pushes
            if not any(s < push.span[1] and push.span[0] < e for s, e in quoted)
        ]

    @staticmethod
    def _intensity(
        turn: TurnContext, components: list[float], emphasis: Sequence[LexiconMatch]
    ) -> list[Evidence]:
        found: list[Evidence] = []
        raw = turn.text.raw
        shouted = _SHOUT_WORD.findall(raw)
        # Two or more words, most of them in capitals: shouting ("WHY IS THIS SO HARD").
        if len(shouted) >= _SHOUTED_WORDS and len(shouted) >= _SHOUTED_SHARE * len(
            _ANY_WORD.findall(raw)
        ):
            components.append(_SHOUT_SCORE)
            found.append(evidence("shouting", " ".join(shouted[:6]), turn.index))
        elif shouted:
            # A word raised in a calm sentence ("you charged me TWICE"), not an acronym (ATM).
            raised = [m for m in emphasis if _SHOUT_WORD.fullmatch(m.text)]
            if raised:
                components.append(_EMPHASIS_SCORE)
                found.extend(evidence_from(raised, turn.index))
        if "!" in raw or "?" in raw:
            run = _PUNCTUATION_RUN.search(raw)
            if run:
                components.append(_PUNCTUATION_SCORE)
                found.append(evidence("punctuation_run", run.group(), turn.index, run.span()))
        return found

    @staticmethod
    def _with_trajectory(
        turn: TurnContext,
        recent: tuple[float, ...],
        average: float,
        turn_score: float,
        found: list[Evidence],
    ) -> float:
        components = [turn_score]
        rising = (
            len(recent) >= _HISTORY - 1
            and recent[-2] + _RISE_STEP <= recent[-1]
            and recent[-1] + _RISE_STEP <= turn_score
            and turn_score >= _TRAJECTORY_FLOOR
        )
        if rising:
            components.append(_RISE_SCORE)
            trend = " -> ".join(f"{s:.2f}" for s in [*recent[-2:], turn_score])
            found.append(evidence("rising_stress", trend, turn.index))
        if average >= _SUSTAINED and turn_score >= _TRAJECTORY_FLOOR:
            components.append(_AVERAGE_WEIGHT * average)
            found.append(evidence("sustained_stress", f"average {average:.2f}", turn.index))
        return noisy_or(components)
