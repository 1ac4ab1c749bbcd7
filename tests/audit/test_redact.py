from __future__ import annotations

import itertools
import json
import re
import string

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.audit import (
    DEFAULT_KINDS,
    UNREDACTED_EVENT_KEYS,
    Redaction,
    Redactor,
)
from escalate.exceptions import InvalidInputError

REDACTOR = Redactor()
KEYED = Redactor(key=b"audit-key")
TOKEN = re.compile(r"\[([A-Z_]+):([0-9a-f]{12})\]")


def kinds(text: str, redactor: Redactor = REDACTOR) -> list[str]:
    return [r.kind for r in redactor.find(text)]


def test_public_names() -> None:
    import escalate.audit

    assert {
        "DEFAULT_KINDS",
        "UNREDACTED_EVENT_KEYS",
        "Redaction",
        "Redactor",
        "redact_decision",
    } <= set(escalate.audit.__all__)
    assert DEFAULT_KINDS == ("email", "iban", "card", "national_id", "phone", "password", "code")


class TestEmail:
    @pytest.mark.parametrize(
        "email",
        ["jane.doe@example.com", "j_d-o+tag@mail.example.co.uk", "ADMIN@Example.ORG"],
    )
    def test_addresses_are_redacted(self, email: str) -> None:
        assert REDACTOR.redact(f"write to {email}, thanks") == "write to [EMAIL], thanks"

    def test_a_sentence_full_stop_is_not_part_of_the_address(self) -> None:
        assert REDACTOR.redact("mail me at a.b@example.com.") == "mail me at [EMAIL]."

    @pytest.mark.parametrize(
        "text", ["meet me @ noon", "user@localhost is down", "email me @example.com"]
    )
    def test_at_signs_without_an_address_are_kept(self, text: str) -> None:
        assert REDACTOR.redact(text) == text


class TestIban:
    @pytest.mark.parametrize(
        "iban",
        [
            "DE89 3704 0044 0532 0130 00",
            "DE89370400440532013000",
            "de89 3704 0044 0532 0130 00",
            "GB82 WEST 1234 5698 7654 32",
            "FR1420041010050500013M02606",
        ],
    )
    def test_valid_ibans_are_redacted_in_any_grouping_or_case(self, iban: str) -> None:
        assert REDACTOR.redact(f"IBAN: {iban}. Thanks") == "IBAN: [IBAN]. Thanks"
        assert kinds(iban) == ["iban"]

    def test_the_iban_stops_before_the_next_word(self) -> None:
        found = REDACTOR.find("DE89 3704 0044 0532 0130 00 is mine")
        assert found == [Redaction("iban", 0, 27)]

    def test_a_wrong_check_digit_is_not_an_iban(self) -> None:
        # Written compactly, nothing else claims it either: digits glued to letters are kept.
        assert REDACTOR.redact("DE89370400440532013001") == "DE89370400440532013001"
        # Grouped, its digit groups still look like a phone number and a code: redacted as those.
        assert "iban" not in kinds("DE88 3704 0044 0532 0130 00")

    def test_random_letter_digit_words_are_kept(self) -> None:
        text = "model AB12 CDEF GHIJ KLMN is sold out"
        assert REDACTOR.redact(text) == text


class TestCard:
    @pytest.mark.parametrize(
        "card",
        ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "378282246310005"],
    )
    def test_luhn_valid_numbers_are_cards(self, card: str) -> None:
        assert REDACTOR.redact(f"card: {card}, exp 12/27") == "card: [CARD], exp 12/27"

    def test_a_card_next_to_other_numbers_is_still_found(self) -> None:
        found = REDACTOR.find("ref 12 4111 1111 1111 1111")
        assert len(found) == 1
        assert found[0].end == len("ref 12 4111 1111 1111 1111")

    def test_a_luhn_invalid_number_is_not_a_card(self) -> None:
        # 16 digits in one run: too long for a phone or a code, so it is left as it is.
        assert REDACTOR.redact("ticket 4111111111111112") == "ticket 4111111111111112"
        # Grouped, its first groups read as a national phone number and the last as a code.
        assert REDACTOR.redact("4111 1111 1111 1112") == "[PHONE] [CODE]"


class TestPhone:
    @pytest.mark.parametrize(
        "phone",
        [
            "+1 (555) 123-4567",
            "+44 7700 900123",
            "+4915112345678",
            "+33.1.23.45.67.89",
            "(555) 123-4567",
            "555-123-4567",
            "07700 900123",
        ],
    )
    def test_phone_numbers_are_redacted(self, phone: str) -> None:
        assert REDACTOR.redact(f"call {phone} now") == "call [PHONE] now"
        assert kinds(phone) == ["phone"]

    @pytest.mark.parametrize("text", ["version 10.2.3", "room 555", "call 123-45-67 later"])
    def test_short_numbers_are_not_phones(self, text: str) -> None:
        assert "phone" not in kinds(text)

    def test_digits_inside_a_word_are_not_a_phone(self) -> None:
        assert REDACTOR.redact("serial X5551234567Z") == "serial X5551234567Z"

    def test_a_date_and_time_is_not_a_phone(self) -> None:
        # Nor is its year a code, so timestamps in log events stay readable; a bare year is.
        assert REDACTOR.redact("on 2024-01-15 10:30") == "on 2024-01-15 10:30"
        assert REDACTOR.redact("in 2024 and 2026-11-25T09:20:50Z") == (
            "in [CODE] and 2026-11-25T09:20:50Z"
        )


class TestPassword:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("my password is hunter2", "my password is [PASSWORD]"),
            ("My Password Is Hunter2!", "My Password Is [PASSWORD]!"),
            ("password: s3cr3t; thanks", "password: [PASSWORD]; thanks"),
            ("password = tr0ub4dor", "password = [PASSWORD]"),
            ("pw is abc?", "pw is [PASSWORD]?"),
            ("the passcode is 0000x.", "the passcode is [PASSWORD]."),
            ("my pin is 9876", "my pin is [PASSWORD]"),
            ("my password's letmein", "my password's [PASSWORD]"),
            ("my password\u2019s letmein", "my password\u2019s [PASSWORD]"),
            ('password is "correct horse" ok', "password is [PASSWORD] ok"),
            ("password is 'two words'.", "password is [PASSWORD]."),
            ("mein Passwort ist Geheim99", "mein Passwort ist [PASSWORD]"),
            ("mon mot de passe est soleil", "mon mot de passe est [PASSWORD]"),
            ("mi contraseña es gato", "mi contraseña es [PASSWORD]"),
        ],
    )
    def test_the_value_after_a_disclosure_phrase_is_redacted(
        self, text: str, expected: str
    ) -> None:
        assert REDACTOR.redact(text) == expected

    def test_a_value_of_punctuation_only_is_still_redacted(self) -> None:
        assert REDACTOR.redact("password is ?!") == "password is [PASSWORD]"

    def test_an_unclosed_quote_takes_the_word(self) -> None:
        assert REDACTOR.redact('password is "abc def') == "password is [PASSWORD] def"

    @pytest.mark.parametrize(
        "text",
        ["I forgot my password", "reset password please", "the password field", "passport"],
    )
    def test_talking_about_passwords_is_kept(self, text: str) -> None:
        assert REDACTOR.redact(text) == text

    def test_the_word_after_the_phrase_is_taken_even_when_it_is_no_password(self) -> None:
        # Documented over-redaction: the detector cannot tell "wrong" from a password.
        assert REDACTOR.redact("my password is wrong") == "my password is [PASSWORD]"


class TestCode:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("your code is 482913", "your code is [CODE]"),
            ("482913 is the code", "[CODE] is the code"),
            ("use 123 456 or 123-456", "use [CODE] or [CODE]"),
            ("code is AB12CD", "code is [CODE]"),
            ("OTP: 9x7k2m", "OTP: [CODE]"),
            ("token 7QK2P9", "token [CODE]"),
            ("in 2024", "in [CODE]"),  # over-redaction of plain 4-digit numbers, on purpose
        ],
    )
    def test_codes_are_redacted(self, text: str, expected: str) -> None:
        assert REDACTOR.redact(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "room 123",
            "it costs $1234",
            "it costs 1234.50 euros",
            "pi is 3.14159",
            "order A1234B",
            "model x1234",
            "code is ABCDEF",  # a code word without a digit
            "postcode is SW1A9",  # "postcode" is not "code"
            "my zipcode abc123",
            "the code is broken",
        ],
    )
    def test_numbers_that_are_not_codes_are_kept(self, text: str) -> None:
        assert REDACTOR.redact(text) == text


class TestOverlapsAndFind:
    def test_email_beats_password_for_the_same_characters(self) -> None:
        found = REDACTOR.find("password: jane@example.com")
        assert [r.kind for r in found] == ["email"]

    def test_card_beats_password_and_code(self) -> None:
        assert kinds("password is 4111111111111111") == ["card"]
        assert kinds("pin is 1234") == ["password"]

    def test_found_spans_are_sorted_and_do_not_overlap(self) -> None:
        text = "a@b.co +44 7700 900123 code 123456 DE89370400440532013000 4111111111111111"
        found = REDACTOR.find(text)
        assert [r.kind for r in found] == ["email", "phone", "code", "iban", "card"]
        assert all(a.end <= b.start for a, b in itertools.pairwise(found))
        assert [text[r.start : r.end] for r in found] == [
            "a@b.co",
            "+44 7700 900123",
            "123456",
            "DE89370400440532013000",
            "4111111111111111",
        ]

    def test_an_overlapping_loser_widens_the_winner_instead_of_leaking(self) -> None:
        redactor = Redactor(kinds=[], extra_patterns={"a": "abcd", "b": "cdef"})
        assert redactor.find("xxabcdefxx") == [Redaction("a", 2, 8)]
        assert redactor.redact("xxabcdefxx") == "xx[A]xx"


class TestIdempotence:
    def test_redacted_text_is_left_as_it_is(self) -> None:
        for redactor in (REDACTOR, KEYED):
            once = redactor.redact("my password is hunter2, mail a@b.co, code 1234")
            assert redactor.redact(once) == once
            assert redactor.find(once) == []

    def test_a_value_that_is_already_a_placeholder_is_not_redacted_again(self) -> None:
        assert REDACTOR.redact("password: [PASSWORD].") == "password: [PASSWORD]."
        assert KEYED.redact("[PHONE:012345678901]") == "[PHONE:012345678901]"

    def test_context_that_changes_when_a_neighbour_is_replaced_is_scanned_again(self) -> None:
        # "1234,4111..." reads as a decimal; once the card is "[CARD]", "1234" is a code.
        assert REDACTOR.redact("1234,4111111111111111") == "[CODE],[CARD]"
        assert REDACTOR.find("1234,4111111111111111") == [
            Redaction("code", 0, 4),
            Redaction("card", 5, 21),
        ]

    def test_text_next_to_a_placeholder_still_counts(self) -> None:
        redactor = Redactor(extra_patterns={"tag": "ab"})
        assert redactor.redact("ab1234") == "[TAG][CODE]"


class TestCleanText:
    @pytest.mark.parametrize(
        "text",
        [
            "",
            "I want to talk to a travel agent",
            "Where is my parcel? It was due on Monday!",
            "Ich möchte mit einem Menschen sprechen",
        ],
    )
    def test_text_without_secrets_is_returned_as_it_is(self, text: str) -> None:
        assert REDACTOR.redact(text) is text
        assert KEYED.redact(text) is text
        assert REDACTOR.find(text) == []


class TestKeyedTokens:
    def test_placeholders_without_a_key(self) -> None:
        assert REDACTOR.redact("a@b.co 4111111111111111") == "[EMAIL] [CARD]"

    def test_tokens_are_the_hmac_of_the_normalised_value(self) -> None:
        import hashlib
        import hmac

        expected = hmac.new(b"audit-key", b"card:4111111111111111", hashlib.sha256).hexdigest()
        assert KEYED.redact("4111 1111 1111 1111") == f"[CARD:{expected[:12]}]"

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("4111 1111 1111 1111", "4111-1111-1111-1111"),
            ("4111 1111 1111 1111", "4111111111111111"),
            ("Jane.Doe@Example.com", "jane.doe@example.com"),
            ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
            ("+1 (555) 123-4567", "+1.555.123.4567"),
            ("123 456", "123456"),
        ],
    )
    def test_one_value_in_two_formats_gives_one_token(self, one: str, other: str) -> None:
        assert KEYED.redact(one) == KEYED.redact(other)
        assert TOKEN.fullmatch(KEYED.redact(one))

    def test_different_values_give_different_tokens(self) -> None:
        assert KEYED.redact("a@b.co") != KEYED.redact("c@b.co")

    def test_different_keys_give_different_tokens(self) -> None:
        other = Redactor(key="another-key")
        assert KEYED.redact("a@b.co") != other.redact("a@b.co")

    def test_str_and_bytes_keys_agree(self) -> None:
        assert Redactor(key="k").redact("a@b.co") == Redactor(key=b"k").redact("a@b.co")

    def test_the_token_does_not_contain_the_value(self) -> None:
        output = KEYED.redact("my password is hunter2 and my pin is 4321")
        assert "hunter2" not in output
        assert "4321" not in output
        assert [m[1] for m in TOKEN.finditer(output)] == ["PASSWORD", "PASSWORD"]

    def test_the_kind_is_part_of_the_token(self) -> None:
        # "1234" as a code and as a password must not correlate: the kind is hashed too.
        code = TOKEN.search(KEYED.redact("code 1234"))
        password = TOKEN.search(KEYED.redact("pin is 1234"))
        assert code is not None
        assert password is not None
        assert (code[1], password[1]) == ("CODE", "PASSWORD")
        assert code[2] != password[2]


class TestConfiguration:
    def test_kinds_choose_the_detectors(self) -> None:
        redactor = Redactor(kinds=["email"])
        assert redactor.redact("a@b.co code 123456") == "[EMAIL] code 123456"

    def test_no_kinds_and_no_patterns_redacts_nothing(self) -> None:
        text = "a@b.co 4111111111111111"
        assert Redactor(kinds=()).redact(text) is text

    def test_an_unknown_kind_is_named_with_the_valid_ones(self) -> None:
        with pytest.raises(ValueError, match=r"unknown kind 'ssn'; valid kinds: email, iban"):
            Redactor(kinds=["email", "ssn"])

    def test_a_single_string_is_not_taken_as_kinds(self) -> None:
        with pytest.raises(InvalidInputError, match="not the string 'email'"):
            Redactor(kinds="email")

    def test_extra_patterns_replace_the_whole_match(self) -> None:
        redactor = Redactor(
            extra_patterns={"order_id": r"ORD-\d{6}", "ip": re.compile(r"\d+\.\d+\.\d+\.\d+")}
        )
        text = "order ORD-123456 from 10.0.0.1"
        assert redactor.redact(text) == "order [ORDER_ID] from [IP]"
        assert [r.kind for r in redactor.find(text)] == ["order_id", "ip"]

    def test_extra_patterns_get_keyed_tokens(self) -> None:
        redactor = Redactor(extra_patterns={"order_id": r"ORD-\d{6}"}, key="k")
        assert re.fullmatch(r"\[ORDER_ID:[0-9a-f]{12}\]", redactor.redact("ORD-123456"))

    def test_empty_matches_of_an_extra_pattern_are_ignored(self) -> None:
        assert Redactor(kinds=[], extra_patterns={"x": "z*"}).redact("abc") == "abc"

    @pytest.mark.parametrize("name", ["Order", "1st", "order-id", "", "email"])
    def test_bad_pattern_names_are_rejected(self, name: str) -> None:
        with pytest.raises(InvalidInputError, match=re.escape(f"extra pattern name {name!r}")):
            Redactor(extra_patterns={name: "x"})

    def test_a_bad_regex_names_the_pattern_and_the_error(self) -> None:
        with pytest.raises(
            ValueError, match=r"extra pattern 'order_id' \('ORD-\('\) is invalid: missing \)"
        ):
            Redactor(extra_patterns={"order_id": "ORD-("})

    def test_an_empty_key_is_rejected(self) -> None:
        with pytest.raises(InvalidInputError, match="key must not be empty"):
            Redactor(key=b"")


class TestRedactValue:
    def test_every_string_in_a_nested_structure_is_redacted(self) -> None:
        value = {
            "a@b.co": "mail a@b.co",
            "list": ["code 123456", 123456, None, True, 1.5, {"deep": ["pin is 9999"]}],
            "n": 4111111111111111,  # only strings are read, even a card held as an int
        }
        assert REDACTOR.redact_value(value) == {
            "a@b.co": "mail [EMAIL]",
            "list": ["code [CODE]", 123456, None, True, 1.5, {"deep": ["pin is [PASSWORD]"]}],
            "n": 4111111111111111,
        }

    def test_containers_are_copied_not_changed(self) -> None:
        inner = ["a@b.co"]
        value = {"x": inner}
        result = REDACTOR.redact_value(value)
        assert value == {"x": ["a@b.co"]}
        assert isinstance(result, dict)
        assert result["x"] is not inner

    def test_scalars_pass_through(self) -> None:
        assert REDACTOR.redact_value("a@b.co") == "[EMAIL]"
        assert REDACTOR.redact_value(42) == 42
        assert REDACTOR.redact_value(None) is None


class TestStructlogProcessor:
    def test_listed_keys_are_left_alone_and_the_rest_redacted(self) -> None:
        event = dict.fromkeys(UNREDACTED_EVENT_KEYS, "a@b.co")
        event |= {"text": "a@b.co", "meta": {"note": ("pin is 1234", 5)}, "count": 3}
        result = REDACTOR(None, "info", event)
        assert result is event
        assert all(result[key] == "a@b.co" for key in UNREDACTED_EVENT_KEYS)
        assert result["text"] == "[EMAIL]"
        assert result["meta"] == {"note": ("pin is [PASSWORD]", 5)}
        assert result["count"] == 3

    def test_it_runs_in_a_real_structlog_pipeline(self) -> None:
        log = structlog.wrap_logger(
            structlog.ReturnLogger(),
            processors=[KEYED, structlog.processors.JSONRenderer(sort_keys=True)],
        )
        line = log.info("turn_scored", conversation_id="c-1", text="card 4111 1111 1111 1111")
        assert isinstance(line, str)
        record = json.loads(line)
        assert record["event"] == "turn_scored"
        assert record["conversation_id"] == "c-1"
        assert re.fullmatch(r"card \[CARD:[0-9a-f]{12}\]", record["text"])
        assert "4111" not in line

    def test_it_runs_under_capture_logs(self) -> None:
        with structlog.testing.capture_logs(processors=[REDACTOR]) as logs:
            structlog.get_logger().warning("handoff", decision_id="d-1", reason="mail x@y.io")
        assert logs == [
            {
                "event": "handoff",
                "decision_id": "d-1",
                "reason": "mail [EMAIL]",
                "log_level": "warning",
            }
        ]


# --- Properties ---------------------------------------------------------------------------

WORDS = st.text(alphabet=string.ascii_letters + " ", max_size=30)
LEFT = st.sampled_from([" ", ": ", ", ", " (", "\n", " - "])
RIGHT = st.sampled_from([" ", ", ", ". ", ") ", "! ", "? ", "; ", "\n"])
REDACTORS = st.sampled_from([REDACTOR, KEYED])


def luhn_complete(body: str) -> str:
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = int(char)
        if i % 2 == 0:  # doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return body + str((10 - total % 10) % 10)


def iban_complete(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def grouped(compact: str, size: int, sep: str) -> str:
    return sep.join(compact[i : i + size] for i in range(0, len(compact), size))


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str]:
    body = draw(st.text(alphabet=string.digits, min_size=12, max_size=18))
    number = luhn_complete(body)
    form = draw(st.sampled_from(["", " ", "-"]))
    return number, grouped(number, 4, form) if form else number


@st.composite
def ibans(draw: st.DrawFn) -> tuple[str, str]:
    country = draw(st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2))
    bban = draw(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=11, max_size=30))
    iban = iban_complete(country, bban)
    written = draw(st.sampled_from([iban, grouped(iban, 4, " "), iban.lower()]))
    return iban, written


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(st.text(alphabet=string.digits, min_size=7, max_size=15))
    seps = draw(st.lists(st.sampled_from(["", " ", "-", "."]), min_size=len(digits)))
    return digits, "+" + "".join(d + s for d, s in zip(digits, seps, strict=False)).rstrip(" -.")


@st.composite
def codes(draw: st.DrawFn) -> tuple[str, str]:
    code = draw(st.text(alphabet=string.digits, min_size=6, max_size=6))
    return code, code


PASSWORD_CHARS = [c for c in string.printable if not c.isspace()]


@st.composite
def passwords(draw: st.DrawFn) -> tuple[str, str]:
    # At least one non-letter, so the secret cannot also occur in the letters-only filler.
    password = draw(
        st.text(alphabet=PASSWORD_CHARS, min_size=4, max_size=20).filter(lambda p: not p.isalpha())
    )
    return password, password


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str]:
    email = draw(st.emails())
    return email, email


@st.composite
def embedded(draw: st.DrawFn) -> tuple[str, str, str]:
    """A secret (digits-only and as written) inside filler text, punctuation between."""
    plain, written = draw(st.one_of(cards(), ibans(), phones(), codes(), emails()))
    text = draw(WORDS) + draw(LEFT) + written + draw(RIGHT) + draw(WORDS)
    return plain, written, text


@settings(max_examples=400, deadline=None)
@given(case=embedded(), redactor=REDACTORS)
def test_embedded_secrets_never_reach_the_output(
    case: tuple[str, str, str], redactor: Redactor
) -> None:
    plain, written, text = case
    output = redactor.redact(text)
    assert written not in output
    assert plain not in output
    assert redactor.redact(output) == output


@settings(max_examples=300, deadline=None)
@given(secret=passwords(), right=RIGHT, after=WORDS, redactor=REDACTORS)
def test_disclosed_passwords_never_reach_the_output(
    secret: tuple[str, str], right: str, after: str, redactor: Redactor
) -> None:
    password, _ = secret
    output = redactor.redact("my password is " + password + right + after)
    # The phrase stays; the value may be labelled by a stronger kind ("0000000000": a phone).
    assert output.startswith("my password is [")
    assert password not in output


@settings(max_examples=500, deadline=None)
@given(text=st.text(), redactor=REDACTORS)
def test_redaction_never_raises_and_is_idempotent(text: str, redactor: Redactor) -> None:
    once = redactor.redact(text)
    assert redactor.redact(once) == once


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("0123456789 -.+()@:abcXYZ,")) | st.characters(),
        max_size=80,
    )
)
def test_found_text_is_gone_from_the_output(text: str) -> None:
    output = REDACTOR.redact(text)
    found = REDACTOR.find(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    for r in found:
        secret = text[r.start : r.end]
        assert secret
        # A string the text also holds elsewhere may rightly survive there.
        if text.find(secret) == r.start and text.find(secret, r.start + 1) == -1:
            assert secret not in output
    assert rebuilt_from_find(text) == output


def rebuilt_from_find(text: str) -> str:
    """Rebuild the output from ``find`` alone: it is exactly what ``redact`` replaces."""
    pieces, last = [], 0
    for r in REDACTOR.find(text):
        pieces += [text[last : r.start], f"[{r.kind.upper()}]"]
        last = r.end
    return "".join([*pieces, text[last:]])
