"""Secrets spelled out, or in shapes beyond digits and "@", never survive redaction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate.audit import Redactor

REDACTOR = Redactor()
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SEPARATORS = st.sampled_from([" ", "-", ", ", "  "])
PREFIXES = st.sampled_from(["", "my pin is ", "the code is ", "it's ", "Code: ", "ok so "])
SUFFIXES = st.sampled_from(["", ".", " thanks", "!", ", can you check"])
WORD = st.from_regex(r"[a-z]{2,10}", fullmatch=True)


def _cased(text: str, style: str) -> str:
    return {"lower": text.lower(), "upper": text.upper(), "title": text.title()}[style]


STYLES = st.sampled_from(["lower", "upper", "title"])


@given(
    st.lists(st.sampled_from(DIGIT_WORDS), min_size=4, max_size=8),
    SEPARATORS,
    STYLES,
    PREFIXES,
    SUFFIXES,
)
def test_a_pin_in_words_never_leaks(
    digits: list[str], separator: str, style: str, prefix: str, suffix: str
) -> None:
    secret = _cased(separator.join(digits), style)
    out = REDACTOR.redact(prefix + secret + suffix)
    assert out.startswith(prefix)
    assert out.endswith(suffix)
    middle = out[len(prefix) : len(out) - len(suffix)].lower()
    assert not any(word in middle.split() for word in DIGIT_WORDS), out


@given(st.lists(st.integers(0, 9), min_size=4, max_size=8), st.sampled_from([" ", "-"]), PREFIXES)
def test_a_pin_typed_digit_by_digit_never_leaks(
    digits: list[int], separator: str, prefix: str
) -> None:
    out = REDACTOR.redact(prefix + separator.join(map(str, digits)) + " please")
    assert not any(char.isdigit() for char in out), out


@given(
    st.integers(0, 999),
    st.integers(0, 99),
    st.integers(0, 9999),
    st.sampled_from(["-", " "]),
    st.sampled_from(["my SSN is ", "ssn: ", "", "social security number "]),
    SUFFIXES,
)
def test_a_social_security_number_never_leaks(  # noqa: PLR0917 - one per strategy
    area: int, group: int, serial: int, separator: str, prefix: str, suffix: str
) -> None:
    ssn = f"{area:03d}{separator}{group:02d}{separator}{serial:04d}"
    out = REDACTOR.redact(prefix + ssn + suffix)
    assert out == prefix + "[NATIONAL_ID]" + suffix


@given(
    st.lists(WORD, min_size=1, max_size=3),
    st.lists(WORD, min_size=1, max_size=3),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
    st.sampled_from([" dot ", " DOT ", " (dot) ", " period ", "."]),
    st.sampled_from([" at ", " AT ", " (at) ", " [at] "]),
    st.sampled_from(["", "write to ", "it's ", "mail me: "]),
    SUFFIXES,
)
def test_a_spelled_out_email_never_leaks(  # noqa: PLR0917 - one per strategy
    local: list[str],
    domain: list[str],
    tld: str,
    dot: str,
    at: str,
    prefix: str,
    suffix: str,
) -> None:
    spelled = dot.join(local) + at + dot.join([*domain, tld])
    out = REDACTOR.redact(prefix + spelled + suffix)
    assert out == prefix + "[EMAIL]" + suffix


@given(
    st.lists(WORD, min_size=1, max_size=6),
    st.sampled_from(['"{}"', "'{}'", "{}"]),
    st.sampled_from(["my passphrase is ", "Passphrase: ", "the recovery phrase is "]),
    st.sampled_from(["", ".", ", thanks", "!"]),
)
def test_a_passphrase_never_leaks(words: list[str], quoting: str, prefix: str, suffix: str) -> None:
    out = REDACTOR.redact(prefix + quoting.format(" ".join(words)) + suffix)
    assert out == prefix + "[PASSWORD]" + suffix


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("pin is one two three four", "pin is [PASSWORD]"),
        ("SSN 123-45-6789", "SSN [NATIONAL_ID]"),
        ("my NI number is AB 12 34 56 C", "my NI number is [NATIONAL_ID]"),
        ('my passphrase is "correct horse battery staple"', "my passphrase is [PASSWORD]"),
        ("jane dot doe at example dot com", "[EMAIL]"),
        ("jane.doe at example dot com", "[EMAIL]"),
    ],
)
def test_the_reported_gaps_are_closed(text: str, redacted: str) -> None:
    assert REDACTOR.redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "I have two or three questions",
        "one of my two cards is blocked",
        "meet at 10.30 tomorrow",
        "look at the website",
        "I arrived at noon. Then it broke",
        "steps 1 2 3 did not work",
        "version 1.2.3.4",
    ],
)
def test_ordinary_words_are_kept(text: str) -> None:
    assert REDACTOR.redact(text) == text


@given(st.text(max_size=300))
def test_redaction_stays_idempotent_with_the_new_kinds(text: str) -> None:
    once = REDACTOR.redact(text)
    assert REDACTOR.redact(once) == once
