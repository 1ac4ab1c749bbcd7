"""The examples run as a newcomer would run them, and do what their docstrings say."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "escalate.decision" not in done.stdout  # events are filtered, as the examples say
    return done.stdout


def test_quickstart_ends_in_a_security_handoff_with_evidence() -> None:
    out = run("quickstart.py").splitlines()
    assert out[-2].strip() == "-> handoff"
    assert out[-1].strip().startswith("security_dead_end 0.9")
    assert "don't have it" in out[-1]


def test_chatbot_loop_holds_back_the_third_fallback() -> None:
    out = run("chatbot_loop.py")
    first, second = out.split("--- a bot stuck on its fallback")
    assert "handed to a human" not in first
    assert "user: thanks!\nbot:  You're welcome!" in first  # thanks is no fallback
    assert second.count("Sorry, I didn't understand that") == 2
    assert "Would you like me to connect you with a colleague?" in second
    assert second.rstrip().endswith("[handed to a human: conversation_loop]")
    assert "[reply held back]" in second


def test_async_bot_decides_each_conversation() -> None:
    out = run("async_bot.py").splitlines()
    assert out == [
        "order: continue []",
        "person: handoff ['human_requested']",
        "takeover: handoff ['security_dead_end']",
    ]


def test_benchmark_smoke_run_writes_its_figures(tmp_path: Path) -> None:
    script = Path(__file__).parent.parent / "benchmarks" / "bench_turn.py"
    missing = subprocess.run(
        [sys.executable, str(script), "--quick", "--data", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode != 0
    assert "no development data at" in missing.stderr
    assert "--data" in missing.stderr
    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev"
    if not (data / "real" / "utterances.jsonl").is_file():
        pytest.skip(f"the benchmark reads real texts from {data}, absent here")
    figures = tmp_path / "figures.json"
    options = ["--quick", "--repeats", "1", "--engine", "auto", "--json", str(figures)]
    done = subprocess.run(
        [sys.executable, str(script), *options],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(figures.read_text(encoding="utf-8"))
    (engine,) = report["engines"]
    turns = report["turns"][engine]
    for key in ("cold_user", "cold_bot", "warm_user", "warm_bot"):
        assert turns[key]["turns"] > 0
        assert turns[key]["median_ratio"]["median"] > 0
        assert turns[key]["vader_p95_us"]["median"] >= turns[key]["vader_median_us"]["median"] > 0
    assert turns["depth"]["ratio"]["median"] > 0
    assert report["startup"][f"escalate_{engine}"]["cpu_ms"]["median"] > 0
    assert report["startup"]["score_tiny_file"]["escalate_ms"]["median"] > 0
    assert 0 < report["memory"]["bytes_per_live_conversation"] < 64_000


def test_custom_policy_changes_decisions_and_rejects_a_broken_policy() -> None:
    out = run("custom_policy.py")
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    assert out.startswith("policy: strict-bank 1")
    # The same opener, two policies: the strict one hands off where the default only offers.
    bot = rows["are you a bot?"]
    assert "offer_human (human_requested)" in bot
    assert "handoff (human_requested)  <- differs" in bot
    assert "<- differs" not in rows["where is my parcel?"]
    assert "offer_human (emotional_stress)  <- differs" in out
    assert "rejected: policy <dict> is invalid (1 problem):" in out
    assert "signals.stress: 'offer' (0.9) must not be above 'handoff' (0.7)" in out


def test_the_spark_example_without_pyspark_says_what_to_install(tmp_path: Path) -> None:
    hide_pyspark = (
        "import runpy, sys; sys.modules['pyspark'] = None; "  # as if it were not installed
        f"sys.argv = ['insights_spark.py', 'x.jsonl']; "
        f"runpy.run_path({str(EXAMPLES / 'insights_spark.py')!r}, run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide_pyspark],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "pip install 'escalate[spark]'" in done.stderr
