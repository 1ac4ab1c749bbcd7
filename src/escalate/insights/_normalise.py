"""Bot messages reduced to their template, so the same answer counts once however it is filled.

"Your order 4471 ships on 12 May" and "Your order 9012 ships on 3 June" are one message to
improve: numbers, addresses and redaction placeholders become markers, case and spacing go.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["bot_message"]

_URL: Final = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_PLACEHOLDER: Final = re.compile(r"\[([A-Z_]+)(?::[0-9a-f]+)?\]")
_NUMBER: Final = re.compile(r"\d+(?:[.,:/-]\d+)*")
_SPACE: Final = re.compile(r"\s+")
_KEPT: Final = 160


def bot_message(text: str) -> str:
    """``text``'s template: lower case, ``<url>``, ``<email>``-style markers, ``#`` for numbers.

    Examples:
        >>> bot_message("Your order 4471 ships on 12/05.  Track it at https://x.example/t/4471")
        'your order # ships on #. track it at <url>'
        >>> bot_message("We sent a code to [EMAIL]")
        'we sent a code to <email>'
    """
    text = _URL.sub("<url>", text)
    text = _PLACEHOLDER.sub(lambda match: f"<{match.group(1).lower()}>", text)
    text = _NUMBER.sub("#", text.lower())
    text = _SPACE.sub(" ", text).strip()
    if len(text) > _KEPT:
        text = text[: _KEPT - 1].rstrip() + "…"
    return text
