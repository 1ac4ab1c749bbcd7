r"""Outside text (customers' words, conversation ids) made safe to print on a terminal.

A conversation id or a turn can hold ANSI escapes (``\x1b[31m``) that would recolour or rewrite
the reader's terminal, and lone surrogates (valid JSON: ``"\ud800"``) that cannot be written as
UTF-8 at all.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# Terminal control characters (C0 but tab and newline, DEL, C1) and lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATES = range(0xD800, 0xE000)


def printable(text: str, limit: int | None = None) -> str:
    r"""``text`` safe for a terminal, cut after ``limit`` characters (saying how many are left).

    Control characters read as ``\x1b``; lone surrogates as U+FFFD.
    """
    cut = ""
    if limit is not None and len(text) > limit:
        text, cut = text[:limit], f"… (+{len(text) - limit:,} characters)"
    return _UNPRINTABLE.sub(_escaped, text) + cut


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return "\ufffd" if code in _SURROGATES else f"\\x{code:02x}"
