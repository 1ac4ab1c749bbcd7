"""One writer per real file, whatever path leads to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from escalate.audit import JsonlSink
from escalate.exceptions import AuditError

if TYPE_CHECKING:
    from pathlib import Path


def test_a_symlink_to_an_open_trail_gets_no_second_writer(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with (
        JsonlSink(real),
        pytest.raises(AuditError, match=r"link\.jsonl \(the file .*real\.jsonl\)"),
    ):
        JsonlSink(link)
    with JsonlSink(link), pytest.raises(AuditError, match="another process"):
        JsonlSink(real)


def test_a_symlinked_directory_gets_no_second_writer(tmp_path: Path) -> None:
    (tmp_path / "trails").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "trails", target_is_directory=True)
    with JsonlSink(tmp_path / "trails" / "a.jsonl"), pytest.raises(AuditError):
        JsonlSink(tmp_path / "alias" / "a.jsonl")


def test_different_files_each_get_a_writer(tmp_path: Path) -> None:
    with JsonlSink(tmp_path / "a.jsonl"), JsonlSink(tmp_path / "b.jsonl"):
        pass
