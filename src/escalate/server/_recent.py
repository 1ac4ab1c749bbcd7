"""The service's memory of each conversation's last decision, bounded in bytes and count."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Final

from escalate.exceptions import InvalidInputError

if TYPE_CHECKING:
    import builtins

    from escalate.models import Decision

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DECISIONS", "LastDecisions"]

DEFAULT_MAX_DECISIONS: Final = 100_000
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
_OVERHEAD_BYTES: Final = 512
"""Python objects take several times their JSON's size; counted per entry on top of it."""


class LastDecisions:
    """The last decision per conversation; the least recently decided ones go first.

    Sizes are measured on the decision's JSON (the response already needs it), so memory stays
    bounded by ``max_bytes`` whatever the decisions hold.
    """

    def __init__(
        self, *, max_decisions: int = DEFAULT_MAX_DECISIONS, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_decisions < 1 or max_bytes < 1:
            raise InvalidInputError(
                f"max_decisions and max_bytes must be positive, got {max_decisions}, {max_bytes}"
            )
        self.max_decisions = max_decisions
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Decision, int]] = OrderedDict()
        self._bytes = 0

    @property
    def bytes(self) -> int:
        """The estimated size of what is held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, conversation_id: str) -> Decision | None:
        """The conversation's last decision, if still held."""
        entry = self._entries.get(conversation_id)
        return None if entry is None else entry[0]

    def put(self, conversation_id: str, decision: Decision, size: int) -> None:
        """Hold ``decision`` (``size``: its JSON's length) and evict the oldest beyond bounds."""
        self.pop(conversation_id)
        cost = size + len(conversation_id) + _OVERHEAD_BYTES
        self._entries[conversation_id] = (decision, cost)
        self._bytes += cost
        while len(self._entries) > self.max_decisions or (
            self._bytes > self.max_bytes and len(self._entries) > 1
        ):
            _, (_, evicted) = self._entries.popitem(last=False)
            self._bytes -= evicted

    async def akeep_decision(
        self, decision: Decision, encoded: builtins.bytes | None = None
    ) -> None:
        """``put`` as a ``DecisionStore``: the service's fallback for a store without one.

        ``encoded``: the decision's JSON when the caller has made it (its size is what counts).
        """
        size = len(decision.model_dump_json() if encoded is None else encoded)
        self.put(decision.conversation_id, decision, size)

    async def alast_decision(self, conversation_id: str) -> Decision | None:
        """``get`` as a ``DecisionStore``."""
        return self.get(conversation_id)

    def pop(self, conversation_id: str) -> None:
        """Forget the conversation (it ended)."""
        entry = self._entries.pop(conversation_id, None)
        if entry is not None:
            self._bytes -= entry[1]
