"""Business-hours calendars: weekly timetables in a time zone, with closed dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from escalate.policy import Calendar
from escalate.policy._hours import DAYS  # internal: the weekday keys, in order

# 2026-11-23 is a Monday; the rest of that week follows from it.
MONDAY = date(2026, 11, 23)


def at(day_offset: int, hour: int, minute: int = 0, tz: Any = UTC) -> datetime:
    """A moment in the week of ``MONDAY``: 0 is Monday, 6 is Sunday."""
    day = MONDAY + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def office(**weekly: list[str]) -> Calendar:
    return Calendar(timezone="UTC", weekly=weekly)


class TestDays:
    def test_a_day_range_covers_every_day_in_it(self) -> None:
        hours = office(**{"mon-fri": ["09:00-17:00"]})
        assert [hours.is_open(at(day, 10)) for day in range(7)] == [True] * 5 + [False] * 2

    def test_a_single_day_covers_only_that_day(self) -> None:
        hours = office(sat=["10:00-14:00"])
        assert [hours.is_open(at(day, 11)) for day in range(7)] == [False] * 5 + [True, False]

    def test_a_range_of_one_day_is_that_day(self) -> None:
        assert office(**{"wed-wed": ["09:00-10:00"]}).is_open(at(2, 9, 30))
        assert not office(**{"wed-wed": ["09:00-10:00"]}).is_open(at(3, 9, 30))

    def test_the_whole_week(self) -> None:
        hours = office(**{"mon-sun": ["12:00-13:00"]})
        assert all(hours.is_open(at(day, 12, 30)) for day in range(7))

    def test_days_not_listed_are_closed(self) -> None:
        hours = office(mon=["00:00-24:00"])
        assert not hours.is_open(at(1, 12))

    def test_day_names_ignore_case_and_spaces(self) -> None:
        hours = office(**{" Mon - FRI ": ["09:00-17:00"]})
        assert hours.is_open(at(4, 10))
        assert not hours.is_open(at(5, 10))

    def test_overlapping_entries_add_up(self) -> None:
        hours = office(**{"mon-fri": ["09:00-12:00"], "fri": ["14:00-16:00"]})
        assert hours.is_open(at(4, 15))
        assert not hours.is_open(at(3, 15))
        assert hours.is_open(at(4, 10))

    def test_days_are_listed_monday_first(self) -> None:
        assert DAYS == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class TestTimes:
    def test_open_from_the_first_minute(self) -> None:
        assert office(mon=["09:00-17:00"]).is_open(at(0, 9, 0))

    def test_closed_just_before_opening(self) -> None:
        assert not office(mon=["09:00-17:00"]).is_open(at(0, 8, 59))

    def test_open_in_the_last_minute(self) -> None:
        assert office(mon=["09:00-17:00"]).is_open(at(0, 16, 59))

    def test_the_end_is_exclusive(self) -> None:
        assert not office(mon=["09:00-17:00"]).is_open(at(0, 17, 0))

    def test_seconds_within_the_last_minute_are_still_open(self) -> None:
        moment = datetime(2026, 11, 23, 16, 59, 59, 999999, tzinfo=UTC)
        assert office(mon=["09:00-17:00"]).is_open(moment)

    def test_several_ranges_a_day_leave_a_gap(self) -> None:
        hours = office(mon=["09:00-12:00", "13:00-17:00"])
        assert hours.is_open(at(0, 11, 59))
        assert not hours.is_open(at(0, 12, 0))
        assert not hours.is_open(at(0, 12, 30))
        assert hours.is_open(at(0, 13, 0))

    def test_2400_runs_to_midnight(self) -> None:
        hours = office(mon=["22:00-24:00"])
        assert hours.is_open(at(0, 23, 59))
        assert not hours.is_open(at(1, 0, 0))

    def test_a_full_day(self) -> None:
        hours = office(mon=["00:00-24:00"])
        assert hours.is_open(at(0, 0, 0))
        assert hours.is_open(at(0, 23, 59))
        assert not hours.is_open(at(6, 23, 59))

    def test_overnight_hours_are_two_ranges(self) -> None:
        hours = office(mon=["22:00-24:00"], tue=["00:00-06:00"])
        assert hours.is_open(at(0, 23))
        assert hours.is_open(at(1, 5, 59))
        assert not hours.is_open(at(1, 6))

    def test_single_digit_hours_and_spaces_are_read(self) -> None:
        hours = office(mon=[" 9:00 - 17:30 "])
        assert hours.is_open(at(0, 9))
        assert hours.is_open(at(0, 17, 29))
        assert not hours.is_open(at(0, 17, 30))


class TestTimeZones:
    def test_the_moment_is_read_in_the_calendars_zone(self) -> None:
        # Monday 23:30 in UTC is Tuesday 08:30 in Tokyo.
        moment = at(0, 23, 30)
        tokyo_tuesday = Calendar(timezone="Asia/Tokyo", weekly={"tue": ["08:00-12:00"]})
        tokyo_monday = Calendar(timezone="Asia/Tokyo", weekly={"mon": ["18:00-24:00"]})
        utc_monday = Calendar(timezone="UTC", weekly={"mon": ["18:00-24:00"]})
        assert tokyo_tuesday.is_open(moment)
        assert not tokyo_monday.is_open(moment)
        assert utc_monday.is_open(moment)

    def test_the_moments_own_offset_is_respected(self) -> None:
        # 10:00 at UTC-5 is 15:00 UTC.
        hours = office(mon=["14:00-16:00"])
        assert hours.is_open(at(0, 10, tz=timezone(timedelta(hours=-5))))
        assert not hours.is_open(at(0, 10, tz=UTC))

    def test_a_naive_datetime_is_taken_as_utc(self) -> None:
        tokyo = Calendar(timezone="Asia/Tokyo", weekly={"tue": ["08:00-12:00"]})
        naive = datetime(2026, 11, 23, 23, 30)
        assert tokyo.is_open(naive)
        assert tokyo.is_open(naive) == tokyo.is_open(naive.replace(tzinfo=UTC))

    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            # In winter Berlin is one hour ahead of UTC.
            pytest.param(datetime(2026, 1, 12, 8, 30, tzinfo=UTC), True, id="winter 09:30"),
            pytest.param(datetime(2026, 1, 12, 7, 30, tzinfo=UTC), False, id="winter 08:30"),
            pytest.param(datetime(2026, 1, 12, 15, 30, tzinfo=UTC), True, id="winter 16:30"),
            # In summer it is two hours ahead, so the same UTC times fall an hour later.
            pytest.param(datetime(2026, 7, 13, 7, 30, tzinfo=UTC), True, id="summer 09:30"),
            pytest.param(datetime(2026, 7, 13, 15, 30, tzinfo=UTC), False, id="summer 17:30"),
            # The clocks went forward on Sunday 2026-03-29.
            pytest.param(datetime(2026, 3, 30, 7, 0, tzinfo=UTC), True, id="after change"),
            pytest.param(datetime(2026, 3, 23, 7, 0, tzinfo=UTC), False, id="before change"),
        ],
    )
    def test_daylight_saving_time_in_berlin(self, moment: datetime, *, expected: bool) -> None:
        hours = Calendar(timezone="Europe/Berlin", weekly={"mon-fri": ["09:00-17:00"]})
        assert hours.is_open(moment) is expected


class TestClosedDates:
    def test_a_closed_date_shuts_the_whole_day(self) -> None:
        hours = Calendar(
            timezone="UTC", weekly={"mon-fri": ["00:00-24:00"]}, closed=[MONDAY + timedelta(2)]
        )
        assert hours.is_open(at(1, 23, 59))
        assert not hours.is_open(at(2, 0, 0))
        assert not hours.is_open(at(2, 12))
        assert hours.is_open(at(3, 0, 0))

    def test_closed_dates_are_read_from_iso_strings(self) -> None:
        hours = Calendar.model_validate(
            {"timezone": "UTC", "weekly": {"mon-fri": ["09:00-17:00"]}, "closed": ["2026-11-25"]}
        )
        assert hours.closed == [date(2026, 11, 25)]
        assert not hours.is_open(at(2, 10))

    def test_closed_dates_are_in_the_calendars_zone(self) -> None:
        # Monday 23:30 UTC is already Tuesday in Tokyo.
        tokyo = Calendar(
            timezone="Asia/Tokyo", weekly={"mon-sun": ["00:00-24:00"]}, closed=[date(2026, 11, 24)]
        )
        utc = Calendar(
            timezone="UTC", weekly={"mon-sun": ["00:00-24:00"]}, closed=[date(2026, 11, 24)]
        )
        assert not tokyo.is_open(at(0, 23, 30))
        assert utc.is_open(at(0, 23, 30))

    def test_a_closed_date_leaves_the_rest_of_the_week_alone(self) -> None:
        hours = Calendar(timezone="UTC", weekly={"mon-fri": ["09:00-17:00"]}, closed=[MONDAY])
        assert not hours.is_open(at(0, 10))
        assert hours.is_open(at(1, 10))
        assert hours.is_open(at(7, 10))


class TestValidation:
    def test_an_unknown_time_zone_names_an_example(self) -> None:
        with pytest.raises(ValidationError, match=r"unknown time zone 'Mars/Olympus'.*IANA"):
            Calendar(timezone="Mars/Olympus", weekly={})

    @pytest.mark.parametrize("zone", ["../etc/passwd", "/etc/localtime", "Europe/", "UTC\x00"])
    def test_odd_zone_names_are_refused_as_unknown(self, zone: str) -> None:
        with pytest.raises(ValidationError, match="unknown time zone"):
            Calendar(timezone=zone, weekly={})

    def test_an_empty_time_zone_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="timezone"):
            Calendar(timezone="", weekly={})

    @pytest.mark.parametrize("days", ["mon-fry", "monday", "mon-wed-fri", "", "mon-", "1-5"])
    def test_bad_day_names_list_the_good_ones(self, days: str) -> None:
        with pytest.raises(
            ValidationError, match=r"not a day or a day range; use mon, tue, .*'mon-fri'"
        ):
            office(**{days: ["09:00-17:00"]})

    def test_a_backwards_day_range_is_refused(self) -> None:
        with pytest.raises(ValidationError, match=r"'fri-mon': the range runs backwards"):
            office(**{"fri-mon": ["09:00-17:00"]})

    @pytest.mark.parametrize(
        "text", ["9-5", "09:00", "0900-1700", "09:00-17", "9am-5pm", "09:00-17:00-18:00", ""]
    )
    def test_malformed_time_ranges_show_an_example(self, text: str) -> None:
        with pytest.raises(ValidationError, match=r"is not a time range; write e.g. '08:30-17:00'"):
            office(mon=[text])

    @pytest.mark.parametrize("text", ["17:00-09:00", "09:00-09:00"])
    def test_a_range_must_end_after_it_starts(self, text: str) -> None:
        with pytest.raises(ValidationError, match=r"must end after it starts \(split overnight"):
            office(mon=[text])

    @pytest.mark.parametrize(
        "text", ["09:60-17:00", "09:00-17:75", "24:00-24:00", "23:00-24:30", "25:00-26:00"]
    )
    def test_times_outside_a_day_are_refused(self, text: str) -> None:
        with pytest.raises(ValidationError, match=r"not a time of day \(00:00 to 24:00\)"):
            office(mon=[text])

    def test_the_error_names_the_bad_entry_among_good_ones(self) -> None:
        with pytest.raises(ValidationError, match="'13-17'"):
            office(mon=["09:00-12:00", "13-17"])

    def test_unknown_fields_are_refused(self) -> None:
        with pytest.raises(ValidationError, match=r"holidays\s+Extra inputs are not permitted"):
            Calendar.model_validate({"timezone": "UTC", "weekly": {}, "holidays": []})

    def test_weekly_is_required(self) -> None:
        with pytest.raises(ValidationError, match=r"weekly\s+Field required"):
            Calendar.model_validate({"timezone": "UTC"})

    def test_a_calendar_is_frozen(self) -> None:
        hours = office(mon=["09:00-17:00"])
        with pytest.raises(ValidationError, match="frozen"):
            hours.timezone = "Asia/Tokyo"  # type: ignore[misc]


# Years well inside datetime's range: converting between zones must not leave it.
moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.timezones()
)
zones = st.sampled_from(["UTC", "Europe/Berlin", "Asia/Tokyo", "America/St_Johns", "Pacific/Apia"])


@given(moment=moments, zone=zones)
def test_open_around_the_clock_is_always_open(moment: datetime, zone: str) -> None:
    hours = Calendar(timezone=zone, weekly={day: ["00:00-24:00"] for day in DAYS})
    assert hours.is_open(moment)


@given(
    moment=moments,
    zone=zones,
    weekly=st.sampled_from([{}, {"mon-sun": []}, {"mon": [], "sat-sun": []}]),
)
def test_an_empty_timetable_is_never_open(
    moment: datetime, zone: str, weekly: dict[str, list[str]]
) -> None:
    assert not Calendar(timezone=zone, weekly=weekly).is_open(moment)
