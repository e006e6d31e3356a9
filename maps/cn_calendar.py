"""Mainland China's public holidays and adjusted working days (调休), for opening hours.

The dates come from the maintained ``holidays`` package (python-holidays), not from a
table of ours. Why that package and not ``chinese-calendar``: both carry the State
Council's 2026 arrangement and agree on it day by day (the six working weekend days
2026-01-04, 02-14, 02-28, 05-09, 09-20 and 10-10 included), and neither carries 2027's
adjusted working days yet (the notice comes out each November; a new package release
follows). But ``chinese-calendar`` 1.11.0 refuses any 2027 date, so a seven-day map
window across New Year 2027 would have no calendar at all, while ``holidays`` knows the
statutory days of every year (元旦, 春节 from 除夕, 清明, 劳动节, 端午, 中秋, 国庆) and
names, for each working weekend day, the day off it pays for. Until a release carries a
year's notice, that year's holidays are its statutory days (with the package's
estimated substitutes) and it has no adjusted working days: upgrade the package when
the notice is published.

What this module answers for a date:

- ``holiday``: the day belongs to an announced holiday break, and OSM ``PH`` rules apply
  to it. A break is the statutory days, their substitute days off (补假, 调休休息) and the
  weekend days joined to them (与周末连休): all of 2026-10-01..07 is one break, the Sunday
  10-04 included, as the notice announces it; an ordinary weekend is no holiday. This
  is the notice's own reading and agrees with ``chinese-calendar`` for 2019-2026.
- ``works_as``: the day is a Saturday or Sunday that people work (调休上班), and opening
  hours treat it as the weekday it pays for. OSM has no tag for such a day. 2026-10-10
  (Saturday) pays for 2026-10-07 (Wednesday), so it opens as a Wednesday: a station
  that keeps office hours ("Mo-Fr 09:00-17:00") opens, "Sa off" does not close it, and
  "We 09:00-12:00" gives it Wednesday's hours. Why the paired weekday and not "a
  working day": the swap is what the notice decrees (the weekday's work moves to the
  weekend), offices and party-service stations keep that weekday's hours, and it is the
  one choice that needs no new syntax. A working weekend day the package names no
  pairing for (none so far) works as a Monday, the plainest working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

#: A break never runs longer than this many days in a row (Spring Festival: 9).
_LONGEST_BREAK = 12
#: Weekday a working weekend day works as when the package pairs it with no day off.
_UNPAIRED_WORKS_AS = 0


@dataclass(frozen=True, slots=True)
class Day:
    """How mainland China's calendar treats one date (see the module docstring)."""

    date: date
    holiday: bool
    #: Weekday (0 = Monday) an adjusted working day works as; None on every other day.
    works_as: int | None = None

    @property
    def weekday(self) -> int:
        """The weekday opening-hours rules see: ``works_as`` on an adjusted working day."""
        return self.date.weekday() if self.works_as is None else self.works_as


@lru_cache(maxsize=32)
def _calendar(year: int) -> holidays.HolidayBase:
    # The neighbouring years too: a break or a swap can cross New Year.
    return holidays.China(years=range(year - 1, year + 2), expand=False)


def _works_on(d: date, cn: holidays.HolidayBase) -> bool:
    return bool(cn.is_working_day(d))


@lru_cache(maxsize=32)
def _pairings(year: int) -> dict[date, date]:
    """Working weekend day -> the day off it pays for, for swaps that touch ``year``.

    The package keeps each swap as ``(off_month, off_day, work_month, work_day[,
    work_year])`` under the day off's year, in ``special_public_holidays``."""
    cn = _calendar(year)
    out: dict[date, date] = {}
    for off_year in (year - 1, year, year + 1):
        entries = cn.special_public_holidays.get(off_year, ())
        if entries and isinstance(entries[0], int):
            entries = (entries,)
        for entry in entries:
            if len(entry) < 4:
                continue  # a one-off holiday, not a swap
            off = date(off_year, entry[0], entry[1])
            work = date(entry[4] if len(entry) > 4 else off_year, entry[2], entry[3])
            out[work] = off
    return out


def _in_break(d: date, cn: holidays.HolidayBase) -> bool:
    if d in cn:
        return True
    if _works_on(d, cn):
        return False
    # A day off that is no holiday itself (a weekend day) joins a break it touches.
    for step in (-1, 1):
        other = d
        for _ in range(_LONGEST_BREAK):
            other += timedelta(days=step)
            if other in cn:
                return True
            if _works_on(other, cn):
                break
    return False


@lru_cache(maxsize=4096)
def day(d: date) -> Day:
    """Holiday break or adjusted working day, for one date."""
    cn = _calendar(d.year)
    if d.weekday() >= 5 and _works_on(d, cn):
        off = _pairings(d.year).get(d)
        return Day(d, False, off.weekday() if off is not None else _UNPAIRED_WORKS_AS)
    return Day(d, _in_break(d, cn))


def is_public_holiday(d: date) -> bool:
    """Does OSM ``PH`` apply to this date (a day of an announced holiday break)?"""
    return day(d).holiday
