"""The security step as a state machine: its phase after each turn, and properties over any
sequence of turns built from a small vocabulary of prompts, blockers, progress and success."""

from __future__ import annotations

import itertools
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import Escalator, InMemoryStore, Role, Turn
from escalate.core import SecurityMemory
from escalate.signals.security import Phase, phase
from escalate.testing import quiet_logger

_ids = itertools.count()

CODE_PROMPT = "Please type the one-time code from your text message."
LINK_PROMPT = "We mailed a sign-in link to your inbox; it works for 15 minutes."
SUCCESS = "Lovely, your account details are now updated."
NAMES_STEP = "I want to change the email address on my account"
SOFT = "it keeps telling me it expired"  # vague: counts only while a step is open
NAMED_SOFT = "we never got any code from you"  # names its step: counts on its own
HARD = "my phone was stolen last night so I can't get the texts"
CANNOT_ANSWER = "I can't recall that at all"
PROGRESS = "that worked, I'm in now"
PASTED = "my code is 7305 1849"
TAKEOVER = "somebody logged into my account who isn't me"
USER_FILLER = "what are your opening hours on sunday?"
BOT_FILLER = "Our stores open at nine."


@cache
def engine() -> tuple[Escalator, InMemoryStore]:
    store = InMemoryStore(ttl_seconds=None)
    return Escalator(store=store, logger=quiet_logger()), store


def walk(turns: list[tuple[Role, str]]) -> list[SecurityMemory]:
    """The security memory after each turn of a new conversation."""
    esc, store = engine()
    conversation = f"phases-{next(_ids)}"
    memories = []
    for role, text in turns:
        esc.evaluate(conversation, Turn(role=role, text=text))
        state = store.get(conversation)
        assert state is not None
        memories.append(state.peek("security_dead_end", SecurityMemory))
    return memories


def phases(turns: list[tuple[Role, str]]) -> list[Phase]:
    return [phase(memory) for memory in walk(turns)]


def test_a_step_goes_from_open_to_blocked_and_closes_on_success() -> None:
    assert phases(
        [
            (Role.USER, USER_FILLER),
            (Role.BOT, CODE_PROMPT),
            (Role.USER, SOFT),
            (Role.USER, HARD),
            (Role.BOT, SUCCESS),
        ]
    ) == [Phase.NO_STEP, Phase.STEP_OPEN, Phase.SOFT_BLOCKED, Phase.HARD_BLOCKED, Phase.NO_STEP]


def test_a_blocker_with_no_step_open_opens_one() -> None:
    (memory,) = walk([(Role.USER, NAMED_SOFT)])
    assert phase(memory) is Phase.SOFT_BLOCKED
    assert memory.step is not None


def test_a_vague_blocker_needs_an_open_step() -> None:
    assert phases([(Role.USER, SOFT)]) == [Phase.NO_STEP]
    assert phases([(Role.USER, NAMES_STEP), (Role.USER, SOFT)]) == [
        Phase.STEP_OPEN,
        Phase.SOFT_BLOCKED,
    ]


def test_not_remembering_only_blocks_a_question_the_bot_asked() -> None:
    named_by_customer = phases([(Role.USER, NAMES_STEP), (Role.USER, CANNOT_ANSWER)])
    asked_by_bot = phases([(Role.BOT, LINK_PROMPT), (Role.USER, CANNOT_ANSWER)])
    assert named_by_customer[-1] is Phase.STEP_OPEN
    assert asked_by_bot[-1] is Phase.SOFT_BLOCKED


def test_a_blocker_goes_stale_after_three_quiet_user_turns() -> None:
    memories = walk(
        [(Role.BOT, CODE_PROMPT), (Role.USER, SOFT)] + [(Role.USER, USER_FILLER)] * 4,
    )
    assert [phase(m) for m in memories] == [Phase.STEP_OPEN] + [Phase.SOFT_BLOCKED] * 4 + [
        Phase.STEP_OPEN
    ]
    assert memories[-1].level == 0.0


def test_progress_closes_the_step_but_the_same_prompt_again_is_a_repeat() -> None:
    memories = walk([(Role.BOT, CODE_PROMPT), (Role.USER, PASTED), (Role.BOT, CODE_PROMPT)])
    assert [phase(m) for m in memories] == [Phase.STEP_OPEN, Phase.NO_STEP, Phase.STEP_OPEN]
    assert memories[-1].prompt_repeats == 1


def test_after_success_the_same_prompt_starts_afresh() -> None:
    memories = walk([(Role.BOT, CODE_PROMPT), (Role.BOT, SUCCESS), (Role.BOT, CODE_PROMPT)])
    assert memories[-1].prompt_repeats == 0


def test_a_takeover_outlasts_success_and_progress() -> None:
    memories = walk(
        [(Role.USER, TAKEOVER), (Role.BOT, SUCCESS), (Role.USER, PROGRESS)]
        + [(Role.USER, USER_FILLER)] * 4
    )
    assert {phase(m) for m in memories} == {Phase.TAKEN_OVER}
    assert all(m.level == 1.0 for m in memories)


def test_the_same_prompt_three_times_is_an_offer_until_the_step_closes() -> None:
    asked = [(Role.BOT, CODE_PROMPT), (Role.USER, USER_FILLER)] * 3
    memories = walk(asked + [(Role.USER, USER_FILLER)] * 4 + [(Role.BOT, SUCCESS)])
    # Staleness drops old blockers; the repeated prompts are the bot's, they stay.
    assert [m.level for m in memories[5:-1]] == [0.6] * 5
    assert phase(memories[-2]) is Phase.STEP_OPEN
    assert memories[-1].level == 0.0


BOT_TEXTS = [CODE_PROMPT, LINK_PROMPT, SUCCESS, BOT_FILLER]
USER_TEXTS = [
    NAMES_STEP, SOFT, NAMED_SOFT, HARD, CANNOT_ANSWER, PROGRESS, PASTED, TAKEOVER, USER_FILLER,
]  # fmt: skip
turns = st.one_of(
    st.tuples(st.just(Role.BOT), st.sampled_from(BOT_TEXTS)),
    st.tuples(st.just(Role.USER), st.sampled_from(USER_TEXTS)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(turns, min_size=1, max_size=12))
def test_any_sequence_of_turns_keeps_the_machine_consistent(
    conversation: list[tuple[Role, str]],
) -> None:
    before = SecurityMemory()
    for (_, text), after in zip(conversation, walk(conversation), strict=True):
        assert 0.0 <= after.level <= 1.0
        # ``phase`` reads a memory with blockers as a step in progress: a blocker opens a step.
        assert after.blockers == 0 or after.step is not None
        if phase(before) is Phase.TAKEN_OVER:
            # Nothing closes the step or drops a blocker: the handoff summary still cites them.
            assert phase(after) is Phase.TAKEN_OVER
            assert after.blockers >= before.blockers
            assert before.step is None or after.step is not None
        elif text == SUCCESS:
            assert phase(after) is Phase.NO_STEP
            assert after.level == 0.0
        before = after
