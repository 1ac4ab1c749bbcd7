"""The accuracy table of docs/accuracy.md, measured on a labelled data directory.

    python benchmarks/accuracy.py DATA_DIR [--policy POLICY] [--json PATH]

DATA_DIR holds ``real/utterances.jsonl`` (labelled utterances: BANKING77, Bitext, airline
tweets), optionally ``real/conversations.jsonl`` (routine whole dialogs) and
``scenarios.yaml``. Every utterance is scored as the first user turn of its own conversation,
through the same engine and the same ``escalate.evaluation`` code as ``escalate eval``; the
metrics below restrict it to the subsets the targets are defined on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate import Escalator, ReasonCode
from escalate.evaluation import ExpectedAction, Grade, check_result, load_cases, score_cases
from escalate.models import Action
from escalate.signals.stress import vader_analyser
from escalate.testing import quiet_logger

if TYPE_CHECKING:
    from escalate.evaluation import CheckResult, ScoredCase

TARGETS = {
    "human_request_f1": (">=", 0.98),
    "routine_escalation_rate": ("<=", 0.02),
    "positive_tweet_escalation_rate": ("<=", 0.02),
    "security_dead_end_recall": (">=", 0.90),
    "fraud_recall": (">=", 0.90),
    "stress_auc_minus_vader": (">=", 0.05),
    "routine_conversation_escalation_rate": ("<=", 0.02),
    "scenarios_passed": (">=", 1.0),
}


def _escalated(scored: ScoredCase) -> bool:
    return any(d.action is not Action.CONTINUE for d in scored.decisions)


def _codes(scored: ScoredCase) -> set[ReasonCode]:
    return {code for d in scored.decisions for code in d.reason_codes}


def utterance_metrics(scored: list[ScoredCase]) -> dict[str, float]:
    """The utterance-level targets, each on the subset it is defined on."""
    from sklearn.metrics import roc_auc_score

    def expect(item: ScoredCase) -> ExpectedAction | None:
        return item.case.checks[0].expect if item.case.checks else None

    bitext = [s for s in scored if s.case.source == "bitext"]
    wanted = [s for s in bitext if expect(s) is ExpectedAction.ESCALATE]
    tp = sum(ReasonCode.HUMAN_REQUESTED in _codes(s) and _escalated(s) for s in wanted)
    fp = sum(
        ReasonCode.HUMAN_REQUESTED in _codes(s)
        for s in bitext
        if expect(s) is ExpectedAction.CONTINUE
    )
    fn = len(wanted) - tp
    routine = [s for s in scored if expect(s) is ExpectedAction.CONTINUE]
    positive = [
        s for s in scored if s.case.source == "airline" and s.case.label.startswith("positive")
    ]

    def recall(reason: ReasonCode) -> float:
        cases = [s for s in scored if s.case.checks and s.case.checks[0].reason is reason]
        return sum(map(_escalated, cases)) / len(cases)

    graded = [s for s in scored if s.case.grade is not None]
    labels = [s.case.grade is Grade.NEGATIVE for s in graded]
    stress = [s.decisions[0].signals["stress"] for s in graded]
    vader = vader_analyser()
    baseline = [-vader.polarity_scores(s.case.text)["compound"] for s in graded]
    stress_auc = float(roc_auc_score(labels, stress))
    vader_auc = float(roc_auc_score(labels, baseline))
    return {
        "human_request_f1": 2 * tp / (2 * tp + fp + fn),
        "routine_escalation_rate": sum(map(_escalated, routine)) / len(routine),
        "positive_tweet_escalation_rate": sum(map(_escalated, positive)) / len(positive),
        "security_dead_end_recall": recall(ReasonCode.SECURITY_DEAD_END),
        "fraud_recall": recall(ReasonCode.SENSITIVE_TOPIC),
        "stress_auc": stress_auc,
        "vader_auc": vader_auc,
        "stress_auc_minus_vader": stress_auc - vader_auc,
    }


def measure(data: Path, policy: str | None) -> dict[str, Any]:
    """Every metric of the table on ``data``."""
    escalator = Escalator(policy, logger=quiet_logger())
    utterances = list(score_cases(escalator, load_cases(data / "real" / "utterances.jsonl")))
    metrics: dict[str, Any] = utterance_metrics(utterances)
    metrics["utterances"] = len(utterances)
    conversations = data / "real" / "conversations.jsonl"
    if conversations.exists():
        dialogs = list(score_cases(escalator, load_cases(conversations)))
        metrics["routine_conversation_escalation_rate"] = sum(map(_escalated, dialogs)) / len(
            dialogs
        )
        metrics["conversations"] = len(dialogs)
    scenarios = data / "scenarios.yaml"
    if scenarios.exists():
        results: list[CheckResult] = [
            check_result(s, check)
            for s in score_cases(escalator, load_cases(scenarios))
            for check in s.case.checks
        ]
        metrics["scenarios_passed"] = sum(r.passed for r in results) / len(results)
        metrics["scenarios"] = len(results)
    return metrics


def render(metrics: dict[str, Any]) -> str:
    """The table as Markdown."""
    lines = ["| metric | measured | target | met |", "|---|---|---|---|"]
    for name, (comparison, bar) in TARGETS.items():
        if name not in metrics:
            continue
        value = metrics[name]
        met = value >= bar if comparison == ">=" else value <= bar
        lines.append(f"| {name} | {value:.3f} | {comparison} {bar} | {'yes' if met else 'NO'} |")
    lines.append(
        f"\nstress ROC AUC {metrics['stress_auc']:.3f}, bare VADER {metrics['vader_auc']:.3f}; "
        f"{metrics['utterances']} utterances"
        + (f", {metrics['conversations']} dialogs" if "conversations" in metrics else "")
        + (f", {metrics['scenarios']} scenarios" if "scenarios" in metrics else "")
    )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the data directory (with real/utterances.jsonl)")
    parser.add_argument("--policy", help="a policy file (default: the bundled one)")
    parser.add_argument("--json", type=Path, help="also write the metrics here")
    args = parser.parse_args()
    metrics = measure(args.data, args.policy)
    print(render(metrics))
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
