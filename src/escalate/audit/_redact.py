"""Privacy redaction: secrets never reach an audit record or a log event.

Built-in kinds, in precedence order (it decides the label when two detectors claim the same
characters): ``email`` (spelled out too: "jane dot doe at example dot com"), ``iban`` (ISO
13616 mod-97 checked), ``card`` (Luhn checked), ``national_id`` (US social security numbers,
UK National Insurance numbers), ``phone``, ``password`` (the value after "my password is",
"pw:", "passwort ist", ..., and up to 24 words after "my passphrase is", "recovery phrase:")
and ``code`` (one-time codes and PINs: digits, digits typed one by one, "one two three
four"). The words these are announced or spelled with are data (``redact_words.json``).
Each is replaced by a typed placeholder (``[EMAIL]``) or, given a ``key``, by a keyed token
(``[EMAIL:1a2b3c4d5e6f]``): the first 12 hex digits of HMAC-SHA256(key, kind + ":" +
normalised value), so one value correlates across records without being readable.

Privacy comes first, so the rules lean towards redacting too much:

- every standalone run of 4 to 8 digits is a ``code``: years, order and house numbers too
  (but not the year of an ISO date, so timestamps stay readable);
- the word after a disclosure phrase is a ``password`` even when it is not one
  ("my password is [PASSWORD] working");
- detectors that overlap are merged into one span rather than one being dropped, so a
  loser's tail cannot leak; and ``find`` runs again on its own output until nothing new
  appears, so redacting is idempotent (``redact(redact(t)) == redact(t)``).

What it misses: secrets in other shapes (API keys, passport numbers, street addresses and
postcodes, people's names: these need named-entity recognition, such as Presidio with a spaCy
model, which is too heavy to run on every turn; add ``extra_patterns`` for your own formats),
a PIN spelled in fewer than four words or digits,
a Luhn-invalid 16-digit number written without separators (not a card, too long for a phone,
too long for a code), and the ``event`` message and other ``UNREDACTED_EVENT_KEYS`` of a log
event. Only strings are read: other values pass through unchanged.

Examples:
    >>> redactor = Redactor()
    >>> redactor.redact("I'm jane.doe@example.com, card 4111 1111 1111 1111, code 482913.")
    "I'm [EMAIL], card [CARD], code [CODE]."
    >>> Redactor(key=b"k").redact("my password is hunter2!")  # doctest: +ELLIPSIS
    'my password is [PASSWORD:...]!'
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final, cast

from escalate.exceptions import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, MutableMapping

    from pydantic import JsonValue

    from escalate.models import Decision, Reason

__all__ = ["DEFAULT_KINDS", "UNREDACTED_EVENT_KEYS", "Redaction", "Redactor", "redact_decision"]

DEFAULT_KINDS: Final[tuple[str, ...]] = (
    "email",
    "iban",
    "card",
    "national_id",
    "phone",
    "password",
    "code",
)
"""Every built-in kind, in precedence order."""

UNREDACTED_EVENT_KEYS: Final = frozenset(
    {"event", "level", "logger", "timestamp", "decision_id", "conversation_id", "library_version"}
)
"""Log event keys the processor leaves alone: fixed names and identifiers, never user text."""

_Span = tuple[int, int]

_EMAIL_CHARS = r"[\w.!#$%&'*+/=?^`{|}~-]"  # RFC 5322 atext, dots and any letter
# The look-behind starts matches only at a token's start, which keeps the scan linear.
_EMAIL = re.compile(rf"(?<!{_EMAIL_CHARS}){_EMAIL_CHARS}+@[\w-]+(?:\.[\w-]+)+")
_IBAN_HEAD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}")
_IBAN_BODY = re.compile(r"(?: ?[A-Za-z0-9]){11,30}")
_IBAN_LENGTHS = range(15, 35)
_IBAN_NUMBERS = str.maketrans({chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)})
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:[ .-]\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")
_CARD_LENGTHS = range(13, 20)
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_PHONE_SEP = r"(?:[ .-]|[ ]?\(|\)[ ]?)"
_PHONE = re.compile(
    rf"(?<![\w+])\+\d(?:{_PHONE_SEP}?\d){{6,14}}(?!\w|:\d)"
    rf"|(?<![\w+(])\(?\d(?:{_PHONE_SEP}?\d){{9,14}}(?!\w|:\d)"  # not a time: "2024-01-15 10:30"
)
_PASSWORD = re.compile(
    r"""\b(?:(?:password|passcode|pw|pin)(?:\s+is|\s*[:=]) | password['\u2019]s
        | passwort(?:\s+ist|\s*[:=]) | mot\s+de\s+passe(?:\s+est|\s*[:=])
        | contraseña(?:\s+es|\s*[:=]))
    (?:\s*:(?=\s))?\s*  # "password is: x"; a colon or "=" glued to the value is part of it
    (?: (?P<quoted>"[^"\n]+"|'[^'\n]+'|“[^”\n]+”)(?=[.,;!?]*(?:\s|$)) | (?P<bare>\S+) )""",
    re.IGNORECASE | re.VERBOSE,
)
# Amounts ($1234, 12.50) and decimals are not codes; a currency sign or a decimal point says so.
# Nor is the year of an ISO date (2026-11-25): timestamps in log events stay readable.
_CODE_DIGITS = re.compile(r"(?<![\w.,$€£¥])(?:\d{4,8}|\d{3,4}[ -]\d{3,4})(?!\w|[.,]\d|-\d\d-\d\d)")
_CODE_WORD = re.compile(
    r"\b(?:code|otp|pin|passcode|token)\b(?:\s+is)?\s*[:=]?\s*(?<![a-z0-9])"
    r"(?P<value>(?=[a-z0-9]*[0-9])(?=[a-z0-9]*[a-z])[a-z0-9]{4,10})(?![a-z0-9])",
    re.IGNORECASE,
)
# The words secrets are spelled or announced with live in a data file, not in code.
_WORDS: Final[dict[str, Any]] = json.loads(
    files("escalate.audit").joinpath("redact_words.json").read_text(encoding="utf-8")
)


def _alternatives(words: Iterable[str]) -> str:
    # Longest first, so "pass phrase" is tried before a shorter word it starts with.
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_NUMBER_WORD = _alternatives(_WORDS["number_words"])
# "one two three four", "four-eight-two-nine": a code or PIN spelled out. Four in a row is
# rare in ordinary speech ("two or three" is not a run).
_MORE_NUMBER_WORDS = _WORDS["number_words_in_a_row"] - 1
_NUMBER_WORDS = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:[\s,-]+(?:{_NUMBER_WORD})){{{_MORE_NUMBER_WORDS},}}\b",
    re.IGNORECASE,
)
_PASSPHRASE = re.compile(
    rf"""\b(?:{_alternatives(_WORDS["passphrase_names"])})(?:\s+is|\s*[:=])\s*
    (?: (?P<quoted>"[^"\n]+"|'[^'\n]+'|“[^”\n]+”)
      | (?P<bare>[^\s.,;!?]+(?:[ \t]+[^\s.,;!?]+){{0,{_WORDS["passphrase_words_kept"] - 1}}}) )""",
    re.IGNORECASE | re.VERBOSE,
)
_AT = _alternatives(_WORDS["spelled_at"])
_DOT = _alternatives(_WORDS["spelled_dot"])
# "jane dot doe at example dot com": bounded repeats keep the scan linear on "a dot a dot ...".
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+(?:\s+(?:{_DOT})\s+[\w+-]+){{0,4}}"
    rf"(?:\s+(?:{_AT})\s+|@)[\w-]+(?:(?:\s+(?:{_DOT})\s+|\.)[\w-]+){{0,4}}"
    rf"(?:\s+(?:{_DOT})\s+|\.)[a-z]{{2,24}}\b",
    re.IGNORECASE,
)
# "1 2 3 4", "4-8-2-9": a PIN typed digit by digit.
_SPACED_DIGITS = re.compile(r"(?<![\w.,])\d(?:[ -]\d){3,}(?![\w]|[.,]\d)")
# US social security numbers (123-45-6789) and UK National Insurance numbers (QQ 12 34 56 C).
_NATIONAL_ID = re.compile(
    r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])"
    r"|\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
# Every built-in needs a digit, an "@", a password phrase, or a number, "dot" or "at" in words:
# text without one skips them all.
_GATE = re.compile(
    rf"[\d@]|pass|pw|pin|contrase|phrase|mnemonic|memorable|security answer"
    rf"|\b(?:{_NUMBER_WORD}|{_DOT}|{_AT})\b",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[\s.\-()]")
_CUSTOM_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TOKEN_HEX = 12


def _find_ibans(text: str) -> Iterator[_Span]:
    for head in _IBAN_HEAD.finditer(text):
        body = _IBAN_BODY.match(text, head.end())
        if body is None:
            continue
        # The body may run on into the next words: try each group boundary, longest first.
        stop = body.end()
        ends = [e for e in range(stop - 1, head.end(), -1) if text[e] == " "]
        if stop == len(text) or not _ASCII_ALNUM.match(text[stop]):
            ends.insert(0, stop)
        for end in ends:
            if _iban_valid(text[head.start() : end]):
                yield head.start(), end
                break


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if len(compact) not in _IBAN_LENGTHS:
        return False
    return int((compact[4:] + compact[:4]).translate(_IBAN_NUMBERS)) % 97 == 1


def _find_cards(text: str) -> Iterator[_Span]:
    # Every run of groups that starts and ends on a group boundary is tried, so a card next
    # to other numbers ("ref 12 4111 1111 1111 1111") is still found.
    for run in _DIGIT_RUN.finditer(text):
        groups = [(g.start(), g.end()) for g in _DIGIT_GROUP.finditer(text, *run.span())]
        if sum(end - start for start, end in groups) < _CARD_LENGTHS[0]:
            continue
        for i, (start, _) in enumerate(groups):
            # Luhn doubles every second digit from the right, and the right end is not known
            # yet: keep the sum for both parities, so each digit is read once per start.
            count = luhn = flipped = 0
            for group_start, end in (groups[j] for j in range(i, len(groups))):
                for char in text[group_start:end]:
                    digit = int(char)
                    luhn, flipped = flipped + digit, luhn + _LUHN_DOUBLED[digit]
                count += end - group_start
                if count > _CARD_LENGTHS[-1]:
                    break
                if count in _CARD_LENGTHS and luhn % 10 == 0:
                    yield start, end


def _find_emails(text: str) -> Iterator[_Span]:
    yield from (m.span() for m in _EMAIL.finditer(text))
    yield from (m.span() for m in _SPELLED_EMAIL.finditer(text))


def _find_passwords(text: str) -> Iterator[_Span]:
    for match in _PASSPHRASE.finditer(text):
        yield match.span("quoted") if match["quoted"] is not None else match.span("bare")
    for match in _PASSWORD.finditer(text):
        if match["quoted"] is not None:
            yield match.span("quoted")
            continue
        start = match.start("bare")
        # "hunter2." ends a sentence; the dot is not the password (unless it is all there is).
        value = match["bare"].rstrip(".,;!?") or match["bare"]
        yield start, start + len(value)


def _find_codes(text: str) -> Iterator[_Span]:
    yield from (m.span() for m in _CODE_DIGITS.finditer(text))
    yield from (m.span("value") for m in _CODE_WORD.finditer(text))
    yield from (m.span() for m in _NUMBER_WORDS.finditer(text))
    yield from (m.span() for m in _SPACED_DIGITS.finditer(text))


def _matches(pattern: re.Pattern[str]) -> Callable[[str], Iterator[_Span]]:
    return lambda text: (m.span() for m in pattern.finditer(text))


_BUILTINS: Final[dict[str, Callable[[str], Iterator[_Span]]]] = {
    "email": _find_emails,
    "iban": _find_ibans,
    "card": _find_cards,
    "national_id": _matches(_NATIONAL_ID),
    "phone": _matches(_PHONE),
    "password": _find_passwords,
    "code": _find_codes,
}


@dataclass(frozen=True, slots=True)
class Redaction:
    """One span of the original text that is replaced."""

    kind: str
    """``"email"``, ``"card"``, ... or a custom pattern's name."""
    start: int
    """Offset of the first character in the original text."""
    end: int
    """Offset just past the last character."""


class Redactor:
    """Replaces secrets in text, JSON values and structlog events.

    Everything is compiled here, so one instance can redact every record of a process (it
    keeps no state between calls and is safe to share between threads).

    Args:
        kinds: the built-in detectors to run (see ``DEFAULT_KINDS``).
        extra_patterns: more secrets, by name (``[a-z][a-z0-9_]*``): each regex's whole match
            is replaced by the upper-cased name (``[ORDER_ID]``). They take precedence over
            the built-ins and run on every text.
        key: when given, secrets become keyed tokens (``[CARD:1a2b3c4d5e6f]``) instead of
            bare placeholders; the same value gives the same token under the same key.

    Raises:
        InvalidInputError: (a ``ValueError``) an unknown kind, a bad pattern name or regex,
            or an empty key.

    Examples:
        >>> Redactor(kinds=["email"], extra_patterns={"order_id": r"ORD-[0-9]+"}).redact(
        ...     "ORD-7781 for a@b.co, code 1234"
        ... )
        '[ORDER_ID] for [EMAIL], code 1234'
    """

    def __init__(
        self,
        *,
        kinds: Iterable[str] = DEFAULT_KINDS,
        extra_patterns: Mapping[str, str | re.Pattern[str]] | None = None,
        key: bytes | str | None = None,
    ) -> None:
        if isinstance(kinds, str):
            raise InvalidInputError(
                f"kinds must be a collection of names, not the string {kinds!r}"
            )
        chosen = set(kinds)
        if unknown := sorted(chosen - _BUILTINS.keys()):
            valid = ", ".join(_BUILTINS)
            raise InvalidInputError(f"unknown kind {unknown[0]!r}; valid kinds: {valid}")
        self._custom = [_compile(name, p) for name, p in (extra_patterns or {}).items()]
        self._builtins = [(k, find) for k, find in _BUILTINS.items() if k in chosen]
        # Custom kinds rank first (the host asked for them by name), then the built-ins.
        order = [name for name, _ in self._custom] + [kind for kind, _ in self._builtins]
        self._rank = {name: i for i, name in enumerate(order)}
        if isinstance(key, str):
            key = key.encode()
        if key is not None and not key:
            raise InvalidInputError("key must not be empty")
        self._key = key
        # Our own placeholders and tokens: a second pass must leave them as they are.
        names = "|".join(name.upper() for name in [*_BUILTINS, *self._rank])
        self._own = re.compile(rf"\[(?:{names})(?::[0-9a-f]{{{_TOKEN_HEX}}})?\]")

    def find(self, text: str) -> list[Redaction]:
        """The spans ``redact`` replaces: non-overlapping, sorted by start."""
        return self._find_and_render(text)[0]

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced (``text`` itself when there is none)."""
        return self._find_and_render(text)[1]

    def redact_value(self, value: JsonValue) -> JsonValue:
        """Redact every string in a JSON value; dict keys and non-strings are kept.

        Containers are copied, never changed in place.
        """
        return cast("JsonValue", self._redact_any(value))

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """A structlog processor: redact every value outside ``UNREDACTED_EVENT_KEYS``.

        Put it just before the renderer, after processors that turn values into text
        (``format_exc_info``), since only strings are read.
        """
        for key in list(event_dict):
            if key not in UNREDACTED_EVENT_KEYS:
                event_dict[key] = self._redact_any(event_dict[key])
        return event_dict

    def _redact_any(self, value: object) -> object:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {k: self._redact_any(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_any(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._redact_any(v) for v in value)
        return value

    def _find_and_render(self, text: str) -> tuple[list[Redaction], str]:
        found = self._scan(text)
        rendered = self._render(text, found)
        # Replacing a span changes its neighbours' context: in "1234,4111111111111111" the
        # code reads as a decimal until the card becomes "[CARD]". So scan the output again
        # until nothing new appears; that is what makes redact idempotent.
        while found:
            output, placed = rendered
            extra = [
                r for r in self._scan(output) if _covered(r.start, r.end, placed) < r.end - r.start
            ]
            if not extra:
                break
            spans = [(r.start, r.end, r.kind) for r in found]
            for r in extra:
                start, last = (_source(pos, placed, found) for pos in (r.start, r.end - 1))
                spans.append((start, last + 1, r.kind))
            found = self._resolve(spans)
            rendered = self._render(text, found)
        return found, rendered[0]

    def _scan(self, text: str) -> list[Redaction]:
        spans: list[tuple[int, int, str]] = []
        for name, pattern in self._custom:
            spans.extend((*m.span(), name) for m in pattern.finditer(text) if m.end() > m.start())
        if self._builtins and _GATE.search(text):
            for kind, detect in self._builtins:
                spans.extend((start, end, kind) for start, end in detect(text))
        if spans and (own := [m.span() for m in self._own.finditer(text)]):
            spans = [s for s in spans if _covered(s[0], s[1], own) < s[1] - s[0]]
        return self._resolve(spans)

    def _resolve(self, spans: list[tuple[int, int, str]]) -> list[Redaction]:
        # Earliest start wins, then precedence. A loser that overlaps widens the winner rather
        # than being dropped: the part of it past the winner's end could be the secret.
        kept: list[Redaction] = []
        for start, end, kind in sorted(spans, key=lambda s: (s[0], self._rank[s[2]])):
            if kept and start < kept[-1].end:
                if end > kept[-1].end:
                    kept[-1] = Redaction(kept[-1].kind, kept[-1].start, end)
            else:
                kept.append(Redaction(kind, start, end))
        return kept

    def _render(self, text: str, found: list[Redaction]) -> tuple[str, list[_Span]]:
        pieces: list[str] = []
        placed: list[_Span] = []
        last = size = 0
        for r in found:
            pieces.append(text[last : r.start])
            size += r.start - last
            token = self._replacement(r.kind, text[r.start : r.end])
            pieces.append(token)
            placed.append((size, size + len(token)))
            size += len(token)
            last = r.end
        pieces.append(text[last:])
        return "".join(pieces), placed

    def _replacement(self, kind: str, value: str) -> str:
        if self._key is None:
            return f"[{kind.upper()}]"
        message = f"{kind}:{_normalise(kind, value)}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).hexdigest()
        return f"[{kind.upper()}:{digest[:_TOKEN_HEX]}]"


def _compile(name: str, pattern: str | re.Pattern[str]) -> tuple[str, re.Pattern[str]]:
    if not _CUSTOM_NAME.fullmatch(name) or name in _BUILTINS:
        raise InvalidInputError(
            f"extra pattern name {name!r} must match [a-z][a-z0-9_]* and not be a built-in kind"
        )
    if isinstance(pattern, re.Pattern):
        return name, pattern
    try:
        return name, re.compile(pattern)
    except re.error as error:
        raise InvalidInputError(
            f"extra pattern {name!r} ({pattern!r}) is invalid: {error}"
        ) from None


def _normalise(kind: str, value: str) -> str:
    # One value written two ways ("4111 1111 ..." and "41111111...") must give one token.
    if kind == "email":
        return value.lower()
    if kind == "iban":
        return _SEPARATORS.sub("", value).upper()
    if kind in {"card", "phone", "code", "national_id"}:
        return _SEPARATORS.sub("", value).upper()
    return value


def _covered(start: int, end: int, spans: list[_Span]) -> int:
    """How many characters of ``[start, end)`` the sorted, disjoint ``spans`` cover."""
    i = max(bisect_right(spans, (start, start)) - 1, 0)
    covered = 0
    while i < len(spans) and spans[i][0] < end:
        covered += max(0, min(end, spans[i][1]) - max(start, spans[i][0]))
        i += 1
    return covered


def _source(pos: int, placed: list[_Span], found: list[Redaction]) -> int:
    """Where a character of rendered text comes from in the original text."""
    i = bisect_right(placed, pos, key=lambda span: span[0]) - 1
    if i < 0:
        return pos
    if pos < placed[i][1]:  # in a placeholder: its span's start (the merge then takes it all)
        return found[i].start
    return found[i].end + pos - placed[i][1]


def redact_decision(
    decision: Decision, redactor: Redactor, quote: Callable[[str], str] | None = None
) -> Decision:
    """``decision`` with its evidence quotes redacted (``decision`` itself when none changes).

    ``quote``: how to rewrite one quote (default ``redactor.redact``); the audit trail passes
    one that remembers quotes it has seen, or drops them all.
    """
    rewrite = redactor.redact if quote is None else quote
    reasons = _redacted_reasons(decision.reasons, rewrite)
    suppressed = _redacted_reasons(decision.suppressed, rewrite)
    if reasons is decision.reasons and suppressed is decision.suppressed:
        return decision
    return decision.model_copy(update={"reasons": reasons, "suppressed": suppressed})


def _redacted_reasons(
    reasons: tuple[Reason, ...], rewrite: Callable[[str], str]
) -> tuple[Reason, ...]:
    changed = False
    out = []
    for reason in reasons:
        evidence = tuple(
            item if quote == item.text else item.model_copy(update={"text": quote})
            for item in reason.evidence
            for quote in (rewrite(item.text),)
        )
        if any(new is not old for new, old in zip(evidence, reason.evidence, strict=True)):
            changed = True
            reason = reason.model_copy(update={"evidence": evidence})  # noqa: PLW2901
        out.append(reason)
    return tuple(out) if changed else reasons
