"""``escalate score --jobs N`` against ``--jobs 1`` on a large transcript of real text.

    python benchmarks/bench_jobs.py [--turns 200000] [--jobs 2] [--repeats 2] [--data DIR]
                                    [--json PATH]

The transcript is the development data's conversations and lone utterances (each utterance a
conversation of its own), in file order, played again under new conversation ids until it holds
``--turns`` lines. Both commands score the same file, alternately first, ``--repeats`` times;
each run's wall time and CPU time (its own and its worker processes') are recorded, and the
outputs are checked byte-identical. The figure is the ratio of wall times (throughput), with its
range: on a machine shared with other work, a worker that waits for a core shows as wall time.

So a second figure does not depend on the machine's load: the transcript is split as ``--jobs N``
splits it, each part is scored alone by ``--jobs 1`` (one after the other) for its CPU time, and
``--jobs N``'s CPU time beyond the parts' sum is counted as serial work (reading, splitting,
passing rows back, printing). With N free cores the run takes the largest part plus that serial
work; the figure is ``--jobs 1``'s CPU time over that critical path.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_turn import CONVERSATION_FILES, DEFAULT_DATA

UTTERANCE_FILES = ("real/utterances.jsonl", "ext/semeval2018_ei_reg.jsonl")


def transcript(data: Path, turns: int, path: Path) -> None:
    """Write ``turns`` lines of real conversations and utterances to ``path``."""
    rows: list[dict[str, str]] = []
    for name in CONVERSATION_FILES:
        for line in (data / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append(
                {
                    "conversation_id": row["conversation_id"],
                    "role": row["role"],
                    "text": row["text"],
                }
            )
    for name in UTTERANCE_FILES:
        for line in (data / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append({"conversation_id": row["id"], "role": "user", "text": row["text"]})
    with path.open("w", encoding="utf-8") as out:
        written = 0
        while written < turns:
            for row in rows[: turns - written]:
                tagged = {**row, "conversation_id": f"{row['conversation_id']}~{written}"}
                out.write(json.dumps(tagged, ensure_ascii=False) + "\n")
            written += min(len(rows), turns - written)


def _timed(command: list[str], output: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    with output.open("wb") as out:
        subprocess.run(command, check=True, stdout=out)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu}


def run(*, data: Path, turns: int, jobs: int, repeats: int) -> dict[str, Any]:
    """Every figure, as a JSON-ready dict."""
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        file = scratch / "transcript.jsonl"
        transcript(data, turns, file)
        base = [sys.executable, "-m", "escalate", "score", str(file)]
        runs: dict[int, list[dict[str, float]]] = {1: [], jobs: []}
        for repeat in range(repeats):
            order = [1, jobs] if repeat % 2 == 0 else [jobs, 1]
            for count in order:
                runs[count].append(
                    _timed([*base, "--jobs", str(count)], scratch / f"out-{count}.jsonl")
                )
            if not filecmp.cmp(
                scratch / "out-1.jsonl", scratch / f"out-{jobs}.jsonl", shallow=False
            ):
                raise SystemExit(f"bench_jobs.py: --jobs {jobs} printed something else")
        parts = _part_cpus(file, jobs, scratch)
    ratios = [one["wall_s"] / many["wall_s"] for one, many in zip(runs[1], runs[jobs], strict=True)]
    single = statistics.median(run["cpu_s"] for run in runs[1])
    serial = statistics.median(run["cpu_s"] for run in runs[jobs]) - sum(parts)
    return {
        "turns": turns,
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "runs": {str(count): values for count, values in runs.items()},
        "speedup": {
            "median": statistics.median(ratios),
            "min": min(ratios),
            "max": max(ratios),
        },
        "part_cpu_s": parts,
        "serial_cpu_s": serial,
        "critical_path_speedup": single / (max(parts) + max(serial, 0.0)),
    }


def _part_cpus(file: Path, jobs: int, scratch: Path) -> list[float]:
    """CPU seconds of each part ``--jobs`` would give a worker, scored alone."""
    from escalate.cli._parallel import _split

    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    parts, _ = _split(lines, str(file), jobs)
    seconds = []
    for number, part in enumerate(parts):
        piece = scratch / f"part-{number}.jsonl"
        piece.write_text("".join(raw for _, raw in part), encoding="utf-8")
        command = [sys.executable, "-m", "escalate", "score", str(piece)]
        seconds.append(_timed(command, scratch / f"part-{number}.out")["cpu_s"])
    return seconds


def main() -> None:
    """Parse arguments, measure, print (and optionally save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    arguments = parser.parse_args()
    report = run(
        data=arguments.data, turns=arguments.turns, jobs=arguments.jobs, repeats=arguments.repeats
    )
    for count, values in report["runs"].items():
        walls = ", ".join(f"{v['wall_s']:.1f}" for v in values)
        cpus = ", ".join(f"{v['cpu_s']:.1f}" for v in values)
        print(f"--jobs {count}: wall {walls} s; CPU {cpus} s")
    speedup = report["speedup"]
    print(
        f"--jobs {report['jobs']} / --jobs 1 throughput: {speedup['median']:.2f}x "
        f"({speedup['min']:.2f}-{speedup['max']:.2f}) on {report['turns']:,} turns; "
        f"load average {report['load_average'][0]:.1f} on {report['cpus']} CPUs"
    )
    parts = ", ".join(f"{seconds:.1f}" for seconds in report["part_cpu_s"])
    print(
        f"parts alone: CPU {parts} s; serial work {report['serial_cpu_s']:.1f} s; "
        f"critical path: {report['critical_path_speedup']:.2f}x --jobs 1"
    )
    if arguments.json:
        arguments.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
