"""The policy's pure decision function, driven with hand-made readings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from escalate.core import EscalationMemory
from escalate.models import Action, Evidence, ReasonCode, Role
from escalate.policy import decide, default_policy, record_decline, remember_verdict
from escalate.signals import SignalReading
from escalate.signals.human_request import OFFER_DECLINED, OPT_OUT

POLICY = default_policy()
SIGNALS = ("human_request", "stress", "loop", "security_dead_end", "sensitive_topic", "effort")


def readings(cues: frozenset[str] = frozenset(), **levels: float) -> dict[str, SignalReading]:
    found = {name: SignalReading(0.0) for name in SIGNALS}
    for name, level in levels.items():
        found[name] = SignalReading(level, (Evidence(kind=name, text=name, turn_index=0),))
    if cues:
        first = next(iter(found))
        found[first] = found[first]._replace(cues=cues)
    return found


def run(
    memory: EscalationMemory, user_turn: int = 1, role: Role = Role.USER, **levels: float
) -> Action:
    found = readings(**levels)
    verdict = decide(POLICY, found, memory, role=role, user_turn=user_turn)
    remember_verdict(
        verdict,
        {n: r.score for n, r in found.items()},
        frozenset(),
        memory,
        role=role,
        user_turn=user_turn,
    )
    return verdict.action


class TestThresholds:
    def test_below_offer_continues(self) -> None:
        assert (
            decide(
                POLICY, readings(stress=0.3), EscalationMemory(), role=Role.USER, user_turn=1
            ).action
            is Action.CONTINUE
        )

    def test_offer_level_offers(self) -> None:
        verdict = decide(
            POLICY, readings(stress=0.6), EscalationMemory(), role=Role.USER, user_turn=1
        )
        assert verdict.action is Action.OFFER_HUMAN
        assert verdict.reasons[0].code is ReasonCode.EMOTIONAL_STRESS
        assert verdict.reasons[0].evidence[0].kind == "stress"

    def test_handoff_level_hands_off(self) -> None:
        verdict = decide(
            POLICY, readings(security_dead_end=0.8), EscalationMemory(), role=Role.USER, user_turn=1
        )
        assert verdict.action is Action.HANDOFF
        assert verdict.reasons[0].code is ReasonCode.SECURITY_DEAD_END

    def test_effort_alone_never_hands_off(self) -> None:
        verdict = decide(
            POLICY, readings(effort=1.0), EscalationMemory(), role=Role.USER, user_turn=1
        )
        assert verdict.action is Action.OFFER_HUMAN

    def test_reasons_are_ordered_by_stage_then_score(self) -> None:
        verdict = decide(
            POLICY,
            readings(stress=0.7, loop=0.65, human_request=0.95),
            EscalationMemory(),
            role=Role.USER,
            user_turn=1,
        )
        assert [r.code for r in verdict.reasons] == [
            ReasonCode.HUMAN_REQUESTED,
            ReasonCode.EMOTIONAL_STRESS,
            ReasonCode.CONVERSATION_LOOP,
        ]


class TestHysteresis:
    def test_an_open_offer_stays_open_until_below_release(self) -> None:
        memory = EscalationMemory()
        assert run(memory, 1, stress=0.6) is Action.OFFER_HUMAN
        # Below the offer threshold (0.55) but above release (0.45): still open.
        assert run(memory, 2, stress=0.5) is Action.OFFER_HUMAN
        assert run(memory, 3, stress=0.4) is Action.CONTINUE
        # Once closed, the same level does not reopen it.
        assert run(memory, 4, stress=0.5) is Action.CONTINUE


class TestDeclinedOffers:
    def test_offers_pause_for_the_cooldown(self) -> None:
        memory = EscalationMemory()
        run(memory, 1, stress=0.6)
        record_decline(memory, 1)
        assert run(memory, 2, stress=0.6) is Action.CONTINUE
        assert run(memory, 3, stress=0.65) is Action.CONTINUE
        # Three user turns later the cooldown is over.
        assert run(memory, 4, stress=0.6) is Action.OFFER_HUMAN

    def test_a_sharp_rise_offers_again(self) -> None:
        memory = EscalationMemory()
        run(memory, 1, stress=0.56)
        record_decline(memory, 1)
        assert run(memory, 2, stress=0.79) is Action.OFFER_HUMAN

    def test_handoffs_are_never_held_back(self) -> None:
        memory = EscalationMemory()
        run(memory, 1, stress=0.6)
        record_decline(memory, 1)
        assert run(memory, 2, security_dead_end=0.8) is Action.HANDOFF

    def test_a_decline_cue_holds_the_offer_on_the_same_turn(self) -> None:
        verdict = decide(
            POLICY,
            readings(cues=frozenset({OFFER_DECLINED}), stress=0.6),
            EscalationMemory(),
            role=Role.USER,
            user_turn=2,
        )
        assert verdict.action is Action.CONTINUE
        assert verdict.suppressed[0].code is ReasonCode.EMOTIONAL_STRESS


class TestOptOut:
    def test_opt_out_holds_escalation_back(self) -> None:
        found = readings(cues=frozenset({OPT_OUT}), sensitive_topic=0.6)
        verdict = decide(POLICY, found, EscalationMemory(), role=Role.USER, user_turn=1)
        assert verdict.action is Action.CONTINUE
        assert verdict.notes == ("the customer asked to stay with the bot",)

    def test_danger_overrides_opt_out(self) -> None:
        found = readings(cues=frozenset({OPT_OUT}))
        found["sensitive_topic"] = SignalReading(
            1.0, (Evidence(kind="self_harm", text="x", turn_index=0),)
        )
        verdict = decide(POLICY, found, EscalationMemory(), role=Role.USER, user_turn=1)
        assert verdict.action is Action.HANDOFF

    def test_asking_for_a_human_ends_the_opt_out(self) -> None:
        memory = EscalationMemory(opted_out_user_turn=1)
        assert run(memory, 2, human_request=0.95) is Action.HANDOFF
        assert memory.opted_out_user_turn is None


def test_sticky_handoff_keeps_the_first_reasons() -> None:
    memory = EscalationMemory()
    assert run(memory, 1, human_request=0.95) is Action.HANDOFF
    verdict = decide(POLICY, readings(), memory, role=Role.USER, user_turn=2)
    assert verdict.action is Action.HANDOFF
    assert verdict.reasons[0].code is ReasonCode.HUMAN_REQUESTED


def test_an_agent_turn_is_a_handoff() -> None:
    verdict = decide(POLICY, readings(), EscalationMemory(), role=Role.AGENT, user_turn=1)
    assert verdict.action is Action.HANDOFF


levels = st.fixed_dictionaries({name: st.floats(0.0, 1.0) for name in SIGNALS})


@given(levels, st.floats(0.0, 1.0))
def test_more_of_a_signal_never_lowers_the_action(base: dict[str, float], extra: float) -> None:
    for name in SIGNALS:
        higher = dict(base)
        higher[name] = max(base[name], extra)
        low = decide(POLICY, readings(**base), EscalationMemory(), role=Role.USER, user_turn=1)
        high = decide(POLICY, readings(**higher), EscalationMemory(), role=Role.USER, user_turn=1)
        assert high.action.rank >= low.action.rank


@given(levels)
def test_deciding_is_deterministic_and_pure(found: dict[str, float]) -> None:
    memory = EscalationMemory()
    first = decide(POLICY, readings(**found), memory, role=Role.USER, user_turn=1)
    second = decide(POLICY, readings(**found), memory, role=Role.USER, user_turn=1)
    assert first == second
    assert memory == EscalationMemory()
