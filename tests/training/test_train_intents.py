"""The intent trainer: one command, deterministic, reading only the trainable sets."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from escalate.signals._learned import LinearModel, intent_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "training"
TRAINER = ROOT / "training" / "train_intents.py"


def train(out: Path) -> bytes:
    subprocess.run(
        [sys.executable, str(TRAINER), "--data", str(FIXTURE), "--out", str(out), "--c", "10"],
        check=True,
        capture_output=True,
    )
    return (out / "fraud.json.gz").read_bytes()


@pytest.mark.slow
def test_training_is_deterministic_and_learns_the_intent(tmp_path: Path) -> None:
    first = train(tmp_path / "a")
    assert first == train(tmp_path / "b")
    data = json.loads(gzip.decompress(first))
    assert set(data["trained_on"]) == {"banking77", "camrest", "goemotions", "own"}
    assert data["trained_on"]["banking77"]["positive"] > 0
    model = LinearModel.from_json(data)
    assert model.threshold == data["threshold"]
    # The fixture's fraud lines are the only ones that say "never" or "stranger".
    assert (
        model.score("a stranger I never met", 0.0).probability
        > model.score("what is the exchange rate", 0.0).probability
    )
    assert "training" not in " ".join(data["weights"])  # the airline line is not read


def test_the_shipped_fraud_scorer_carries_its_own_threshold() -> None:
    model = intent_model("fraud")
    assert 0.5 <= model.threshold < 1.0
    assert model is intent_model("fraud")
