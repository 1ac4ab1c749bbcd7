"""The compare-and-set a shared store writes a turn with: one Lua script, one round trip.

A turn reads the conversation (``GET``), runs the engine, then writes with this script, which
sets the key only if it still holds exactly what was read. The comparison is on a SHA-1 of the
value rather than a version number, so values written by earlier releases (plain JSON, no
version) need no migration, and an "ABA" write (a value that changed and changed back) is
harmless: the turn was decided on the very state the key holds.
"""

from __future__ import annotations

import hashlib
from typing import Final

__all__ = ["ABSENT", "CAS_SCRIPT", "digest"]

ABSENT: Final = ""
"""The digest given when the read found no value: the write then creates the key."""

# KEYS[1]: the conversation. ARGV[1]: digest of what was read (ABSENT for nothing);
# ARGV[2]: the new value; ARGV[3]: the TTL in milliseconds, or "" for none.
# Returns 1 when written, 0 when another writer got there first.
CAS_SCRIPT: Final = """
local current = redis.call('GET', KEYS[1])
local seen = ''
if current then seen = redis.sha1hex(current) end
if seen ~= ARGV[1] then return 0 end
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
