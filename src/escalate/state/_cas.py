"""The compare-and-set a shared store writes a turn with: one Lua script, one round trip.

A turn reads the conversation (``GET``), runs the engine, then writes with this script, which
sets the key only if it still holds exactly what was read; when it does not, the script answers
with what the key holds now, so the retry needs no second read. A worker that holds a copy of
what it wrote last skips the read altogether: when nobody else wrote meanwhile, the turn is
one round trip. The comparison is on a SHA-1 of the
value rather than a version number, so values written by earlier releases (plain JSON, no
version) need no migration, and an "ABA" write (a value that changed and changed back) is
harmless: the turn was decided on the very state the key holds.
"""

from __future__ import annotations

import hashlib
from typing import Final

__all__ = ["ABSENT", "CAS_SCRIPT", "digest", "written"]

ABSENT: Final = ""
"""The digest given when the read found no value: the write then creates the key."""

# KEYS[1]: the conversation. ARGV[1]: digest of what was read (ABSENT for nothing);
# ARGV[2]: the new value; ARGV[3]: the TTL in milliseconds, or "" for none.
# Returns 1 when written; when another writer got there first, {value} (or {} for no value).
CAS_SCRIPT: Final = """
local current = redis.call('GET', KEYS[1])
local seen = ''
if current then seen = redis.sha1hex(current) end
if seen ~= ARGV[1] then
  if current then return {current} end
  return {}
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
"""


def digest(data: bytes | None) -> str:
    """What ``CAS_SCRIPT`` compares: the hex SHA-1 of a read value, ``ABSENT`` for none."""
    if data is None:
        return ABSENT
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def written(reply: object) -> tuple[bool, bytes | None]:
    """Whether ``CAS_SCRIPT`` wrote, and if not, the value the key holds instead."""
    if reply == 1:
        return True, None
    if not isinstance(reply, list) or len(reply) > 1:
        raise TypeError(f"unexpected reply from the compare-and-set script: {reply!r}")
    if not reply:
        return False, None
    value = reply[0]
    return False, value.encode() if isinstance(value, str) else value
