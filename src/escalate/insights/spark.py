"""Deprecated alias: import ``report_from_archive`` and the rest from ``escalate.insights``."""

from escalate._deprecated import moved

_MOVED = ("ERRORS", "SCORED_COLUMNS", "SparkBackend", "read_transcripts", "report_from_archive",
          "score_archive")  # fmt: skip
_RENAMED = {"SparkEngine": "SparkBackend"}


def __getattr__(name: str) -> object:
    return moved(__name__, name, "escalate.insights", _MOVED, _RENAMED)
