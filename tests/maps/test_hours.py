from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from maps.hours import open_now, weekly_intervals

SH = ZoneInfo("Asia/Shanghai")


def at(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=SH)


# 2026-11-30 is a Monday; 2026-12-05 a Saturday; 2026-12-06 a Sunday.
@pytest.mark.parametrize(
    ("hours", "now", "expected"),
    [
        ("24/7", at(2026, 12, 6, 3), True),
        ("Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", at(2026, 11, 30, 8), True),
        ("Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", at(2026, 11, 30, 18), False),
        ("Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", at(2026, 12, 5, 8, 59), False),
        ("Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", at(2026, 12, 6, 16, 59), True),
        ("Mo-Su 06:00-22:00", at(2026, 12, 3, 21, 59), True),
        ("Mo-Su 06:00-22:00", at(2026, 12, 3, 5, 59), False),
        ("22:00-06:00", at(2026, 12, 1, 23), True),
        ("22:00-06:00", at(2026, 12, 1, 5, 30), True),
        ("22:00-06:00", at(2026, 12, 1, 12), False),
        ("Su 22:00-02:00", at(2026, 11, 30, 1), True),  # Sunday night into Monday
        ("Su 22:00-02:00", at(2026, 12, 6, 1), False),
        ("off", at(2026, 12, 1, 12), False),
        ("Mo-Su 08:00-20:00; We off", at(2026, 12, 2, 12), False),
        ("Mo-Su 08:00-20:00; We off", at(2026, 12, 3, 12), True),
        ("Mo-Fr 08:00-12:00,13:00-18:00", at(2026, 12, 1, 12, 30), False),
        ("Mo-Fr 08:00-12:00,13:00-18:00", at(2026, 12, 1, 13, 30), True),
        ("Sa-Mo 10:00-11:00", at(2026, 11, 30, 10, 30), True),
    ],
)
def test_open_now(hours, now, expected):
    assert open_now(hours, now) is expected


def test_time_zone_is_shanghai():
    # 01:00 UTC on a Monday is 09:00 in Shanghai.
    assert open_now("Mo 08:00-10:00", datetime(2026, 11, 30, 1, tzinfo=UTC)) is True
    assert open_now("Mo 00:00-02:00", datetime(2026, 11, 30, 1, tzinfo=UTC)) is False


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "全天开放", "PH off", "Mo-Xx 08:00-10:00", "Mo-Fr 8-18", "Mo 25:00-26:00",
     "Mo-Fr 08:00-18:00 || 'on call'", "sunrise-sunset", "Mo-Fr 08:00-24:30", None],
)
def test_unparseable_is_unknown_not_an_error(bad):
    assert open_now(bad, at(2026, 12, 1, 12)) is None


def test_weekly_intervals_merge_and_wrap():
    assert weekly_intervals("24/7") == ((0, 10080),)
    assert weekly_intervals("off") == ()
    assert weekly_intervals("Su 23:00-01:00") == ((0, 60), (10020, 10080))
