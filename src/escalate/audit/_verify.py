"""Checking an audit trail: every hash, every link, the order, and the files' continuity.

``verify`` walks the records in chain order and names what it finds, first problem first:

- ``modified``: a record's content no longer matches its hash, or a record was changed and
  its hash recomputed, so the next record no longer links to it;
- ``deleted``: records (or a whole rotated file) are missing;
- ``reordered``: records are out of sequence;
- ``inserted``: two records claim the same place in the chain;
- ``torn``: the last line was cut short (the writer was killed mid-record); when the writer
  continued the chain in a new file that names the torn bytes, this is a note, not a failure;
- ``corrupt``: a line that is not a record; ``truncated``: records after a published head are
  missing; ``unreadable``: the file is not an audit trail (nothing in it is a record), or a
  keyed chain without its key. A file of records whose header line is gone is ``deleted``.

A trail can be intact and still incomplete: the writer notes the records it had to drop or
could not write (``dropped``, ``write_failed`` and ``error`` records). ``VerifyReport.missing``
counts them, so an incomplete trail is never mistaken for a whole one.

Without a key anyone can rewrite a whole file and recompute every hash; a keyed chain
(HMAC-SHA256) or a published head (``ChainHead``) closes that gap.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from escalate.audit._chain import FORMAT, HMAC_SHA256, SHA256, ChainHead, digest, unseal
from escalate.audit._read import RawLine, chain_order, is_headed, parse, read_lines
from escalate.exceptions import AuditError

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

__all__ = ["ProblemKind", "TrailProblem", "VerifyReport", "verify"]

ProblemKind = Literal[
    "modified", "deleted", "reordered", "inserted", "torn", "corrupt", "truncated", "unreadable"
]


@dataclass(frozen=True, slots=True)
class TrailProblem:
    """One thing wrong with the trail, and where."""

    kind: ProblemKind
    message: str
    source: Path | None = None
    line: int | None = None
    seq: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}: " if self.source is not None else ""
        return f"{where}{self.kind}: {self.message}"


@dataclass(slots=True)
class VerifyReport:
    """What ``verify`` found."""

    records: int = 0
    """Records whose hash and link checked out."""
    chains: list[str] = field(default_factory=list)
    problems: list[TrailProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Findings that are not failures (a torn tail the writer recovered from, a first segment
    that is not the chain's first)."""
    last: ChainHead | None = None
    """The last good record of the last chain."""
    missing: dict[str, int] = field(default_factory=dict)
    """Records the trail itself says are missing, by notice kind: ``dropped`` (queue full
    or trail closed), ``write_failed`` (the sink refused them), ``error`` (one that could not
    be built). Empty for a complete trail."""

    @property
    def complete(self) -> bool:
        """Whether the trail notes no missing records."""
        return not self.missing

    @property
    def ok(self) -> bool:
        """Whether the trail is intact."""
        return not self.problems

    @property
    def first_problem(self) -> TrailProblem | None:
        """The earliest problem in chain order."""
        return self.problems[0] if self.problems else None


def verify(
    paths: Iterable[str | os.PathLike[str]],
    *,
    key: bytes | str | None = None,
    head: ChainHead | None = None,
) -> VerifyReport:
    """Check the audit files or databases in ``paths`` (rotated segments in any order).

    ``key``: the chain's HMAC key, when it has one. ``head``: a head published earlier; its
    record must still be there, unchanged.
    """
    report = VerifyReport()
    secret = key.encode() if isinstance(key, str) else key
    try:
        sources = _headed_sources(paths, report)
    except AuditError as error:
        report.problems.append(TrailProblem("unreadable", str(error)))
        return report
    by_chain: dict[str, list[list[RawLine]]] = {}
    for lines in sources:
        header = parse(lines[0])
        assert header is not None  # ordered_sources checked it
        by_chain.setdefault(str(header.get("chain")), []).append(lines)
    for chain, files in by_chain.items():
        report.chains.append(chain)
        _ChainCheck(chain, files, secret, report).run()
    if head is not None:
        _check_head(head, sources, report)
    _count_missing(sources, report)
    return report


def _headed_sources(
    paths: Iterable[str | os.PathLike[str]], report: VerifyReport
) -> list[list[RawLine]]:
    """The sources that start with a header, in chain order; the others are problems.

    A file of records without its header had it deleted: that is tampering, not a file of
    some other kind, so it is reported as ``deleted`` and the other files are still checked.
    """
    headed = []
    for path in paths:
        lines = list(read_lines(path))
        if is_headed(lines):
            headed.append(lines)
            continue
        records = [record for line in lines if (record := parse(line)) and "hash" in record]
        if not records:
            raise AuditError(f"{path}: does not start with an escalate audit header")
        report.problems.append(
            TrailProblem(
                "deleted",
                f"the header is missing (deleted or replaced): the file starts at record"
                f" {records[0]['seq']}",
                Path(path),
                1,
                records[0]["seq"],
            )
        )
    return chain_order(headed)


_NOTICES = ("dropped", "write_failed", "error")


def _count_missing(sources: list[list[RawLine]], report: VerifyReport) -> None:
    for lines in sources:
        for line in lines:
            if b'"kind":' not in line.data:
                continue
            record = parse(line)
            kind = None if record is None else record.get("kind")
            if record is None or kind not in _NOTICES:
                continue
            count = record.get("count", 1)  # an error record stands for one record
            if isinstance(count, int) and count > 0:
                report.missing[kind] = report.missing.get(kind, 0) + count


class _ChainCheck:
    """The walk over one chain's files."""

    def __init__(
        self, chain: str, files: list[list[RawLine]], key: bytes | None, report: VerifyReport
    ) -> None:
        self.chain = chain
        self.files = files
        self.key = key
        self.report = report
        self.parsed = [[parse(line) for line in lines] for lines in files]
        self.seq_count = Counter(
            record["seq"] for records in self.parsed for record in records if record is not None
        )
        self.seen: dict[int, str] = {}
        self.expected_seq = 0
        self.expected_prev = "0" * 64

    def run(self) -> None:
        first_header = self.parsed[0][0]
        assert first_header is not None
        if not self._check_header(first_header, self.files[0][0]):
            return
        segment = first_header.get("segment", 0)
        if segment:
            self.report.notes.append(
                f"chain {self.chain} starts at segment {segment}: earlier files were not given"
            )
            self.expected_seq = first_header["seq"]
            self.expected_prev = first_header["prev"]
        for index, (lines, records) in enumerate(zip(self.files, self.parsed, strict=True)):
            header = records[0]
            assert header is not None
            if index and header.get("segment") != segment + 1:
                self._problem(
                    "deleted",
                    f"segment {segment + 1} of chain {self.chain} is missing"
                    f" (this file is segment {header.get('segment')})",
                    lines[0],
                    header,
                )
            segment = header.get("segment", segment)
            torn = self._walk(lines, records)
            if torn is not None:
                self._torn(torn, self.files[index + 1] if index + 1 < len(self.files) else None)

    def _check_header(self, header: dict[str, Any], line: RawLine) -> bool:
        if header.get("format") != FORMAT:
            self._problem("unreadable", f"unknown format {header.get('format')!r}", line, header)
            return False
        algorithm = header.get("algorithm")
        if algorithm == HMAC_SHA256 and self.key is None:
            self._problem(
                "unreadable", "the chain is keyed (HMAC-SHA256): give its key", line, header
            )
            return False
        if algorithm not in {SHA256, HMAC_SHA256}:
            self._problem("unreadable", f"unknown algorithm {algorithm!r}", line, header)
            return False
        if algorithm == SHA256:
            self.key = None  # a key given for an unkeyed chain is not used
        return True

    def _walk(self, lines: list[RawLine], records: list[dict[str, Any] | None]) -> RawLine | None:
        """Check one file's records; the torn last line, if there is one."""
        for position, (line, record) in enumerate(zip(lines, records, strict=True)):
            if record is None:
                if not line.complete and position == len(lines) - 1:
                    return line
                self._problem("corrupt", "not an audit record", line, None)
                continue
            self._link(line, record, records[position + 1 :])
        return None

    def _link(
        self, line: RawLine, record: dict[str, Any], after: list[dict[str, Any] | None]
    ) -> None:
        """Check one record against its hash and the one before it."""
        seq, expected = record["seq"], self.expected_seq
        sealed = unseal(line.data)
        # The hash that counts is the one at the start of the line, which the bytes after it
        # must hash to (a second "hash" key further on would be a forgery).
        own = sealed[0] if sealed is not None else str(record.get("hash"))
        sound = sealed is not None and digest(sealed[1], self.key) == own
        if self.seq_count[seq] > 1:
            if seq not in self.seen:  # reported once, at the first of them
                where = self._lines_of(seq)
                self._problem("inserted", f"{where} records claim seq {seq}", line, record)
        elif not sound:
            self._problem("modified", "its content no longer matches its hash", line, record)
        elif seq == expected and record.get("prev") != self.expected_prev:
            self._problem(
                "modified",
                f"record {seq - 1} was changed (its hash recomputed): record {seq} no"
                " longer links to it",
                line,
                record,
            )
        elif seq > expected:
            later = {r["seq"] for r in after if r is not None}
            if any(missing in later for missing in range(expected, seq)):
                self._problem("reordered", f"record {seq} comes before {expected}", line, record)
            else:
                gone = str(expected) if seq - expected == 1 else f"{expected} to {seq - 1}"
                self._problem("deleted", f"record(s) {gone} are missing", line, record)
        elif seq < expected:
            self._problem("reordered", f"record {seq} comes after {expected - 1}", line, record)
        else:
            self.report.records += 1
        self.seen.setdefault(seq, own)
        # After a problem, go on from here: later problems are reported on their own.
        if seq >= self.expected_seq - 1:
            self.expected_seq = seq + 1
            self.expected_prev = own
        self.report.last = ChainHead(self.chain, self.expected_seq - 1, self.expected_prev)

    def _lines_of(self, seq: int) -> str:
        places = [
            f"{lines[i].source.name}:{lines[i].number}"
            for lines, records in zip(self.files, self.parsed, strict=True)
            for i, record in enumerate(records)
            if record is not None and record["seq"] == seq
        ]
        return f"{len(places)} ({', '.join(places)})"

    def _torn(self, line: RawLine, next_file: list[RawLine] | None) -> None:
        header = parse(next_file[0]) if next_file else None
        recovered = (header or {}).get("recovered") or {}
        if recovered.get("file") == line.source.name and recovered.get("torn_bytes") == len(
            line.data
        ):
            self.report.notes.append(
                f"{line.source}:{line.number}: a torn last record ({len(line.data)} bytes, the"
                " writer was stopped mid-record); the chain continues in the next file"
            )
            return
        self._problem(
            "torn",
            f"the last line is cut short ({len(line.data)} bytes without a newline): the writer"
            f" stopped mid-record; {self.report.records} records before it verify",
            line,
            None,
        )

    def _problem(
        self, kind: ProblemKind, message: str, line: RawLine, record: dict[str, Any] | None
    ) -> None:
        seq = None if record is None else record.get("seq")
        self.report.problems.append(TrailProblem(kind, message, line.source, line.number, seq))


def _check_head(head: ChainHead, sources: list[list[RawLine]], report: VerifyReport) -> None:
    for lines in sources:
        for line in lines:
            record = parse(line)
            if record is not None and record["seq"] == head.seq:
                header = parse(lines[0]) or {}
                if header.get("chain") == head.chain or not head.chain:
                    if record.get("hash") != head.hash:
                        report.problems.append(
                            TrailProblem(
                                "modified",
                                f"record {head.seq} differs from the published head",
                                line.source,
                                line.number,
                                head.seq,
                            )
                        )
                    return
    report.problems.append(
        TrailProblem(
            "truncated",
            f"record {head.seq} of the published head is gone: the trail was cut after"
            f" record {report.last.seq if report.last else -1}",
        )
    )
