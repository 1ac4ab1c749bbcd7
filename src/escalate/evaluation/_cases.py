"""Labelled data for ``escalate eval``: three input formats, one shape (``LabelledCase``).

- **Utterances** (JSON Lines): ``{"id", "text", "expect", "reason"?, "source"?, "label"?}``,
  each scored as the first user turn of its own conversation. ``expect`` is an action
  expectation (``continue``, ``escalate``, ``offer_human``, ``handoff``) or a stress grade
  (``negative``, ``non_negative``) used for the stress signal's ROC AUC.
- **Conversations** (JSON Lines): the ``escalate score`` turn format; a user turn may carry
  ``expect``/``reason`` (the decision expected at that turn) and ``source``/``label``. A
  conversation with no ``expect`` on any turn is routine: no decision in it may escalate.
- **Scenarios** (YAML): ``cases: [{id, turns: [[role, text], ...], expect: {...}}]`` with
  ``{min_action, by_user_turn, reason?}`` or ``{max_action}``.
- **Policy test cases** (``*.escalate.yaml``, the format of ``escalate test``): each ``expect``
  on a user turn becomes a check at that turn (``action`` and the first ``reason``); the other
  fields (route, rule, message) are for ``escalate test``, and cases that report outcomes
  cannot be scored here.

The format is detected from the file (a YAML mapping with ``cases``, or the keys of the first
JSON line). Errors name the file, the line and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate.exceptions import TranscriptError
from escalate.models import Action, ReasonCode, Role, Turn
from escalate.transcript import json_object, read_transcript

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from escalate.policy_tests import ActionBounds

__all__ = ["ExpectedAction", "Grade", "LabelledCase", "LabelledCheck", "Scope", "load_cases"]


class ExpectedAction(StrEnum):
    """What a check expects of the decision it looks at."""

    CONTINUE = "continue"
    ESCALATE = "escalate"
    """``offer_human`` or ``handoff``."""
    OFFER_HUMAN = "offer_human"
    """At least ``offer_human``."""
    HANDOFF = "handoff"
    AT_MOST_OFFER_HUMAN = "at_most_offer_human"
    """Never above ``offer_human`` (scenario ``max_action: offer_human``)."""

    @property
    def wants_escalation(self) -> bool:
        """Whether the check is satisfied only by an escalation."""
        return self in {ExpectedAction.ESCALATE, ExpectedAction.OFFER_HUMAN, ExpectedAction.HANDOFF}

    def met_by(self, action: Action) -> bool:
        """Whether ``action`` satisfies this expectation."""
        floors = {
            ExpectedAction.CONTINUE: (0, 0),
            ExpectedAction.ESCALATE: (1, 2),
            ExpectedAction.OFFER_HUMAN: (1, 2),
            ExpectedAction.HANDOFF: (2, 2),
            ExpectedAction.AT_MOST_OFFER_HUMAN: (0, 1),
        }
        low, high = floors[self]
        return low <= action.rank <= high


class Grade(StrEnum):
    """A graded label for the stress signal (ROC AUC), e.g. sentiment-labelled tweets."""

    NEGATIVE = "negative"
    NON_NEGATIVE = "non_negative"


class Scope(StrEnum):
    """Which decisions of the conversation a check reads."""

    AT = "at"
    """The decision on one user turn."""
    BY = "by"
    """The first decision up to a user turn that meets the expectation (else the strongest)."""
    WHOLE = "whole"
    """The strongest decision of the whole conversation."""


@dataclass(frozen=True, slots=True)
class LabelledCheck:
    """An expectation on a conversation's decisions."""

    expect: ExpectedAction
    scope: Scope
    user_turn: int | None = None
    """1-based user turn (``AT`` and ``BY``)."""
    reason: ReasonCode | None = None
    """A reason the decision must carry."""


@dataclass(frozen=True, slots=True)
class LabelledCase:
    """One labelled conversation (an utterance is a conversation of one user turn)."""

    id: str
    turns: tuple[Turn, ...]
    checks: tuple[LabelledCheck, ...] = ()
    grade: Grade | None = None
    source: str = ""
    label: str = ""
    origin: str = ""
    """``file:line`` where the case starts."""
    text: str = field(default="", compare=False)
    """The text the checks are about (the utterance, or the checked turn)."""


def load_cases(path: Path | str) -> list[LabelledCase]:
    """Read a labelled file in any of the three formats (see the module docstring).

    Raises:
        TranscriptError: a line or field is invalid (names the file, line and field).
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    # A byte that is not UTF-8 fails its line (json_object), not the whole read.
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    source = str(path)
    if path.name.endswith((".escalate.yaml", ".escalate.yml")):
        return _policy_test_cases(path)
    if path.suffix in {".yaml", ".yml"}:
        return _scenarios(text, source)
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        keys = json.loads(first).keys() if first else set()
    except (json.JSONDecodeError, AttributeError):
        keys = set()
    if "conversation_id" in keys:
        return _conversations(text.splitlines(), source)
    return list(_utterances(text.splitlines(), source))


def _utterances(lines: Iterable[str], source: str) -> Iterator[LabelledCase]:
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        data = json_object(raw, number, source)
        text = _string(data, "text", source, number)
        ident = str(data.get("id", f"line-{number}"))
        # Ids must identify an utterance; a repeated one would be reported twice under one name.
        unique = ident if ident not in seen else f"{ident}@{number}"
        seen.add(unique)
        check, grade = _expectation(data, source, number)
        yield LabelledCase(
            id=unique,
            turns=(Turn(role=Role.USER, text=text),),
            checks=(check,) if check else (),
            grade=grade,
            source=str(data.get("source", "")),
            label=str(data.get("label", "")),
            origin=f"{source}:{number}",
            text=text,
        )


def _conversations(lines: list[str], source: str) -> list[LabelledCase]:
    turns: dict[str, list[Turn]] = {}
    checks: dict[str, list[LabelledCheck]] = {}
    first: dict[str, tuple[int, dict[str, Any]]] = {}
    texts: dict[str, str] = {}
    for item in read_transcript(lines, source):
        if isinstance(item, TranscriptError):
            raise item
        cid = item.conversation_id
        turns.setdefault(cid, []).append(item.turn)
        first.setdefault(cid, (item.line, item.extra))
        if "expect" not in item.extra:
            continue
        if item.turn.role is not Role.USER:
            raise TranscriptError(source, item.line, "only user turns can carry one", "expect")
        check, grade = _expectation(item.extra, source, item.line)
        if grade is not None or check is None:
            raise TranscriptError(
                source, item.line, "expected an action (continue, escalate, ...)", "expect"
            )
        user_turn = sum(1 for turn in turns[cid] if turn.role is Role.USER)
        checks.setdefault(cid, []).append(
            LabelledCheck(check.expect, Scope.AT, user_turn, check.reason)
        )
        texts.setdefault(cid, item.turn.text)
    # A conversation nobody labelled turn by turn is a routine one: it must never escalate.
    routine = (LabelledCheck(ExpectedAction.CONTINUE, Scope.WHOLE),)
    return [
        LabelledCase(
            id=cid,
            turns=tuple(conversation),
            checks=tuple(checks.get(cid, routine)),
            source=str(first[cid][1].get("source", "")),
            label=str(first[cid][1].get("label", "")),
            origin=f"{source}:{first[cid][0]}",
            text=texts.get(cid, conversation[0].text),
        )
        for cid, conversation in turns.items()
    ]


def _expectation(
    data: dict[str, Any], source: str, line: int
) -> tuple[LabelledCheck | None, Grade | None]:
    expect = data.get("expect")
    reason = _reason(data.get("reason"), source, line)
    if expect is None:
        return None, None
    if expect in {grade.value for grade in Grade}:
        return None, Grade(expect)
    allowed = [e.value for e in ExpectedAction if e is not ExpectedAction.AT_MOST_OFFER_HUMAN]
    if expect not in allowed:
        choices = ", ".join([*allowed, *(g.value for g in Grade)])
        raise TranscriptError(source, line, f"expected one of {choices}, got {expect!r}", "expect")
    if reason is not None and expect == ExpectedAction.CONTINUE:
        raise TranscriptError(source, line, "a 'continue' expectation has no reason", "reason")
    return LabelledCheck(ExpectedAction(expect), Scope.AT, 1, reason), None


def _reason(value: object, source: str, line: int) -> ReasonCode | None:
    if value is None:
        return None
    codes = [code.value for code in ReasonCode]
    if value not in codes:
        raise TranscriptError(
            source, line, f"expected one of {', '.join(codes)}, got {value!r}", "reason"
        )
    return ReasonCode(value)


def _string(data: dict[str, Any], key: str, source: str, line: int) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        got = "nothing" if value is None else type(value).__name__
        raise TranscriptError(source, line, f"expected a string, got {got}", key)
    return value


def _policy_test_cases(path: Path) -> list[LabelledCase]:
    from escalate.exceptions import CaseFileError  # noqa: PLC0415 - case files only
    from escalate.policy_tests import load_case_file  # noqa: PLC0415

    source = str(path)
    try:
        loaded = load_case_file(path)
    except CaseFileError as error:
        problem = error.problems[0]
        raise TranscriptError(
            source, problem.line or 1, problem.message, problem.path or None
        ) from None
    cases = []
    for item in loaded.cases:
        turns: list[Turn] = []
        checks: list[LabelledCheck] = []
        for step, line in zip(item.case.turns, item.step_lines, strict=True):
            if step.role is None:
                raise TranscriptError(
                    source, line, "escalate eval cannot replay reported outcomes", "outcome"
                )
            meta = {**item.case.meta, **step.meta}
            turns.append(Turn(role=step.role, text=step.text, ts=step.ts, meta=meta))
            if step.role is not Role.USER or step.expect is None:
                continue
            wanted = _as_expect(step.expect.action)
            if wanted is None:
                continue
            reasons = step.expect.reason
            reason = reasons[0] if isinstance(reasons, list) else reasons
            user_turn = sum(turn.role is Role.USER for turn in turns)
            checks.append(LabelledCheck(wanted, Scope.AT, user_turn, reason))
        if checks:
            cases.append(
                LabelledCase(
                    id=item.case.name,
                    turns=tuple(turns),
                    checks=tuple(checks),
                    source="policy-test",
                    label=item.case.name,
                    origin=f"{source}:{item.line}",
                    text=next((t.text for t in reversed(turns) if t.role is Role.USER), ""),
                )
            )
    return cases


def _as_expect(expected: Action | ActionBounds | None) -> ExpectedAction | None:
    """An ``escalate test`` action expectation as an eval one (``None``: no equivalent)."""
    if expected is None:
        return None
    if isinstance(expected, Action):
        exact = {
            Action.CONTINUE: ExpectedAction.CONTINUE,
            Action.OFFER_HUMAN: ExpectedAction.OFFER_HUMAN,
            Action.HANDOFF: ExpectedAction.HANDOFF,
        }
        return exact[expected]
    low, high = expected.at_least, expected.at_most
    if high is Action.CONTINUE:
        return ExpectedAction.CONTINUE
    if low is not None and low is not Action.CONTINUE:
        return ExpectedAction.HANDOFF if low is Action.HANDOFF else ExpectedAction.OFFER_HUMAN
    if high is Action.OFFER_HUMAN:
        return ExpectedAction.AT_MOST_OFFER_HUMAN
    return None


def _scenarios(text: str, source: str) -> list[LabelledCase]:
    import yaml  # noqa: PLC0415 - YAML inputs only

    from escalate.policy import yaml_problem, yaml_with_positions  # noqa: PLC0415

    try:
        document, positions = yaml_with_positions(text, source)
    except yaml.YAMLError as exc:
        problem = yaml_problem(exc, source)
        raise TranscriptError(source, problem.line or 1, problem.message) from None
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise TranscriptError(source, 1, "expected a mapping with a list under 'cases'", "cases")
    cases = []
    for number, raw in enumerate(document["cases"]):
        found = positions.locate(document, ("cases", number))
        line = found.line if found is not None else 1
        where = f"cases[{number}]"
        if not isinstance(raw, dict):
            raise TranscriptError(source, line, "expected a mapping", where)
        ident = str(raw.get("id", where))
        turns = _scenario_turns(raw.get("turns"), source, line, where)
        check = _scenario_check(raw.get("expect"), source, line, where)
        user_texts = [turn.text for turn in turns if turn.role is Role.USER]
        cases.append(
            LabelledCase(
                id=ident,
                turns=turns,
                checks=(check,),
                source=str(raw.get("source", "scenario")),
                label=str(raw.get("label", ident)),
                origin=f"{source}:{line}",
                text=user_texts[-1] if user_texts else "",
            )
        )
    return cases


def _scenario_turns(value: object, source: str, line: int, where: str) -> tuple[Turn, ...]:
    if not isinstance(value, list) or not value:
        raise TranscriptError(
            source, line, "expected a non-empty list of [role, text]", f"{where}.turns"
        )
    turns = []
    roles = {role.value for role in Role}
    for index, pair in enumerate(value):
        at = f"{where}.turns[{index}]"
        if not (
            isinstance(pair, list)
            and len(pair) == len(("role", "text"))
            and isinstance(pair[1], str)
        ):
            raise TranscriptError(source, line, f"expected [role, text], got {pair!r}", at)
        if pair[0] not in roles:
            raise TranscriptError(
                source, line, f"expected a role ({', '.join(sorted(roles))}), got {pair[0]!r}", at
            )
        turns.append(Turn(role=Role(pair[0]), text=pair[1]))
    return tuple(turns)


def _scenario_check(value: object, source: str, line: int, where: str) -> LabelledCheck:
    at = f"{where}.expect"
    if not isinstance(value, dict):
        raise TranscriptError(
            source, line, "expected {min_action, by_user_turn} or {max_action}", at
        )
    unknown = set(value) - {"min_action", "by_user_turn", "reason", "max_action"}
    if unknown:
        raise TranscriptError(source, line, f"unknown keys {sorted(unknown)}", at)
    reason = _reason(value.get("reason"), source, line)
    if "max_action" in value:
        ceiling = value["max_action"]
        mapping = {
            "continue": ExpectedAction.CONTINUE,
            "offer_human": ExpectedAction.AT_MOST_OFFER_HUMAN,
        }
        if ceiling == "handoff":
            raise TranscriptError(source, line, "max_action handoff allows everything", at)
        if ceiling not in mapping:
            raise TranscriptError(
                source,
                line,
                f"expected continue or offer_human, got {ceiling!r}",
                f"{at}.max_action",
            )
        return LabelledCheck(mapping[ceiling], Scope.WHOLE, None, reason)
    floor = value.get("min_action")
    if floor not in {"offer_human", "handoff"}:
        raise TranscriptError(
            source, line, f"expected offer_human or handoff, got {floor!r}", f"{at}.min_action"
        )
    by = value.get("by_user_turn")
    if by is not None and (not isinstance(by, int) or isinstance(by, bool) or by < 1):
        raise TranscriptError(
            source, line, f"expected a user turn number >= 1, got {by!r}", f"{at}.by_user_turn"
        )
    return LabelledCheck(ExpectedAction(floor), Scope.BY if by else Scope.WHOLE, by, reason)
