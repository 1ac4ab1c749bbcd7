"""The transcript reader on any bytes: each line is a turn or a ``TranscriptError``, never a crash.

It reads files from anywhere (exports, archives, pipes): whatever a line holds, the reader
yields a ``TranscriptLine`` or a ``TranscriptError`` naming the line, and ``escalate score``
exits 0 or 2 with a one-line error, never a traceback.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from escalate.cli import app
from escalate.exceptions import TranscriptError
from escalate.transcript import TranscriptLine, read_transcript, text_lines
from fuzz.strategies import transcript_line_bytes

pytestmark = pytest.mark.slow  # hypothesis: a few hundred cases each

runner = CliRunner()


@settings(max_examples=300, deadline=None)
@given(st.lists(transcript_line_bytes(), max_size=6))
def test_every_line_is_a_turn_or_an_error_naming_it(lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    items = list(read_transcript(text_lines(io.BytesIO(data)), "fuzz.jsonl"))
    for item in items:
        assert isinstance(item, TranscriptLine | TranscriptError)
        if isinstance(item, TranscriptError):
            assert str(item).startswith(f"fuzz.jsonl:{item.line}:")
    numbers = [item.line for item in items]
    assert numbers == sorted(set(numbers))  # one item per line, in order


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(transcript_line_bytes(), min_size=1, max_size=4), st.sampled_from(["jsonl", "table"])
)
def test_score_exits_0_or_2_with_one_error_line(lines: list[bytes], output_format: str) -> None:
    result = runner.invoke(app, ["score", "-", "-f", output_format], input=b"\n".join(lines))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in {0, 2}, result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("error: <stdin>:")
        assert result.stderr.count("\n") == 1
