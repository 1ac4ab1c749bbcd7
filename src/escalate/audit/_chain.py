"""The hash chain that makes an audit trail tamper-evident.

Every record is one line of JSON that starts with its own ``hash``, followed by its sequence
number ``seq``, the hash of the record before it (``prev``) and its fields::

    {"hash":"9f2c...","seq":12,"prev":"41ab...","kind":"decision",...}

The hash is SHA-256 (or HMAC-SHA256 with a key) of the line's bytes after the hash, as the
JSON object ``{"seq":12,"prev":"41ab...",...}``: exactly the bytes stored, so any change to
them shows, and a verifier needs no JSON canonicalisation, only the bytes. Changing, removing,
inserting or reordering a record breaks a link that ``escalate audit verify`` reports. The
first record of a chain is a header (``kind: "header"``) naming the chain; each rotated file
starts with a header that continues the chain from the last record of the file before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "FORMAT",
    "GENESIS",
    "Chain",
    "ChainHead",
    "dumps",
    "seal",
    "seal_record",
    "unseal",
]

FORMAT: Final = "escalate-audit/1"
"""The record format; a reader refuses a header naming a format it does not know."""
GENESIS: Final = "0" * 64
"""The ``prev`` of a chain's first header."""
SHA256: Final = "sha256"
HMAC_SHA256: Final = "hmac-sha256"

_PREFIX: Final = b'{"hash":"'
_HEX: Final = 64
_BODY_START: Final = len(_PREFIX) + _HEX + 2  # the prefix, the digest, then '",'


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as every record is written (NaN and infinities refused)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def digest(body: bytes, key: bytes | None = None) -> str:
    """The hash of a record's body (HMAC-SHA256 when the chain has a key)."""
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def seal(body: bytes, key: bytes | None = None) -> bytes:
    """The line of a record whose body (a JSON object, without ``hash``) is ``body``."""
    return _PREFIX + digest(body, key).encode() + b'",' + body[1:] + b"\n"


def seal_record(record: dict[str, Any], key: bytes | None = None) -> bytes:
    """The line of ``record`` (any ``hash`` it has is replaced): for tools and tests."""
    return seal(dumps({k: v for k, v in record.items() if k != "hash"}), key)


def unseal(line: bytes) -> tuple[str, bytes] | None:
    """The stored hash and the body it covers, or ``None`` if the line does not start right."""
    if not line.startswith(_PREFIX) or line[_BODY_START - 2 : _BODY_START] != b'",':
        return None
    return line[len(_PREFIX) : _BODY_START - 2].decode("ascii", "replace"), b"{" + line[
        _BODY_START:
    ].rstrip(b"\n")


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where a chain stands: the last record's sequence number and hash.

    Publish it elsewhere (a ticket, another system's log) to make the truncation of the trail's
    last records detectable too: ``escalate audit verify --head SEQ:HASH``.
    """

    chain: str
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


class Chain:
    """Assigns ``seq``, ``prev`` and ``hash`` to records, in order (not thread-safe: a sink's)."""

    def __init__(self, head: ChainHead | None = None, *, key: bytes | None = None) -> None:
        self.key = key
        self.algorithm = SHA256 if key is None else HMAC_SHA256
        self.id = head.chain if head is not None else os.urandom(8).hex()
        self._seq = head.seq if head is not None else -1
        self._prev = head.hash if head is not None else GENESIS

    @property
    def head(self) -> ChainHead:
        """The last record linked so far."""
        return ChainHead(self.id, self._seq, self._prev)

    @property
    def started(self) -> bool:
        """Whether the chain has a record (its genesis header) yet."""
        return self._seq >= 0

    def link(self, fields: bytes) -> bytes:
        """The line of the next record, whose fields (a JSON object, bytes) are ``fields``."""
        seq = self._seq + 1
        separator = b"" if fields == b"{}" else b","
        body = b'{"seq":%d,"prev":"%s"%s%s' % (seq, self._prev.encode(), separator, fields[1:])
        line = seal(body, self.key)
        self._seq = seq
        self._prev = line[len(_PREFIX) : _BODY_START - 2].decode()
        return line

    def header(self, segment: int, **extra: Any) -> bytes:
        """The header line that opens a file (``segment`` 0 starts the chain)."""
        from escalate.events import library_version  # noqa: PLC0415 - metadata read, once

        return self.link(
            dumps(
                {
                    "kind": "header",
                    "format": FORMAT,
                    "chain": self.id,
                    "segment": segment,
                    "algorithm": self.algorithm,
                    "at": now_iso(),
                    "library_version": library_version(),
                    **extra,
                }
            )
        )

    def rollback(self, head: ChainHead) -> None:
        """Go back to ``head`` after a batch that could not be written."""
        self._seq, self._prev = head.seq, head.hash


def now_iso() -> str:
    """The current time, UTC, ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat()
