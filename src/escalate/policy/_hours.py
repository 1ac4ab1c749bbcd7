"""Business hours: when a team is open, as a weekly timetable in a time zone, with closed days."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DAYS", "Calendar"]

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_MINUTES_PER_DAY: Final = 24 * 60


class Calendar(BaseModel):
    """Opening hours.

    ``weekly`` maps days (``mon``... ``sun``) or day ranges (``mon-fri``) to time ranges in
    24-hour clock, end exclusive; ``24:00`` closes at midnight. Days not listed are closed.

    Examples:
        >>> from datetime import UTC, datetime
        >>> hours = Calendar(timezone="UTC", weekly={"mon-fri": ["09:00-17:00"]})
        >>> hours.is_open(datetime(2026, 11, 25, 10, 30, tzinfo=UTC))  # a Wednesday
        True
        >>> hours.is_open(datetime(2026, 11, 28, 10, 30, tzinfo=UTC))  # a Saturday
        False
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    timezone: str = Field(min_length=1)
    """An IANA time zone name, e.g. ``Europe/Berlin``."""
    weekly: dict[str, list[str]]
    closed: list[date] = Field(default_factory=list)
    """Dates (in the calendar's time zone) when the team is closed all day."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, e.g. 'Europe'
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like 'Europe/Berlin'"
            ) from None
        return value

    @field_validator("weekly")
    @classmethod
    def _readable_timetable(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for days, ranges in value.items():
            _days(days)
            for text in ranges:
                _minutes(text)
        return value

    @cached_property
    def _open(self) -> dict[int, tuple[tuple[int, int], ...]]:
        table: dict[int, list[tuple[int, int]]] = {}
        for days, ranges in self.weekly.items():
            for day in _days(days):
                table.setdefault(day, []).extend(_minutes(text) for text in ranges)
        return {day: tuple(spans) for day, spans in table.items()}

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open(self, moment: datetime) -> bool:
        """Whether the team is open at ``moment`` (a naive datetime is taken as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        try:
            local = moment.astimezone(self._zone)
        except OverflowError:  # within hours of year 1 or 9999: no team is open then
            return False
        if local.date() in self.closed:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self._open.get(local.weekday(), ()))


def _days(text: str) -> list[int]:
    parts = [part.strip().lower() for part in text.split("-")]
    if len(parts) > 2 or any(part not in DAYS for part in parts):  # noqa: PLR2004 - a range
        raise ValueError(
            f"{text!r} is not a day or a day range; use {', '.join(DAYS)} or e.g. 'mon-fri'"
        )
    first, last = DAYS.index(parts[0]), DAYS.index(parts[-1])
    if last < first:
        raise ValueError(f"{text!r}: the range runs backwards; write e.g. 'mon-fri'")
    return list(range(first, last + 1))


def _minutes(text: str) -> tuple[int, int]:
    found = _RANGE.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a time range; write e.g. '08:30-17:00'")
    start_h, start_m, end_h, end_m = (int(group) for group in found.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start_m > 59 or end_m > 59 or start >= _MINUTES_PER_DAY or end > _MINUTES_PER_DAY:  # noqa: PLR2004
        raise ValueError(f"{text!r}: not a time of day (00:00 to 24:00)")
    if end <= start:
        raise ValueError(f"{text!r}: the range must end after it starts (split overnight hours)")
    return start, end
