"""maps.hours on ordinary weeks: the real parser's answers, checking values, open_state's
next change, intervals. Holidays and adjusted working days: tests/maps/test_holidays.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from opening_hours import OpeningHours

from maps.hours import LOOKAHEAD, Span, check_hours, intervals, open_state, window

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


# 2026-11-30 is a Monday; 2026-12-05 a Saturday; 2026-12-06 a Sunday. No holiday and no
# adjusted working day falls between 2026-11-23 and 2026-12-27.
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
        ("Mo-Su 20:00-06:00", at(2026, 12, 2, 5, 59), True),
        ("Mo-Su 20:00-06:00", at(2026, 12, 2, 6), False),
        ("off", at(2026, 12, 1, 12), False),
        ("Mo-Su 08:00-20:00; We off", at(2026, 12, 2, 12), False),
        ("Mo-Su 08:00-20:00; We off", at(2026, 12, 3, 12), True),
        ("Mo-Fr 08:00-12:00,13:00-18:00", at(2026, 12, 1, 12, 30), False),
        ("Mo-Fr 08:00-12:00,13:00-18:00", at(2026, 12, 1, 13, 30), True),
        ("Sa-Mo 10:00-11:00", at(2026, 11, 30, 10, 30), True),
        ("mo-fr 08:00-18:00", at(2026, 12, 1, 9), True),  # the parser warns, and reads it
        ("Mo-Fr 08:00-24:30", at(2026, 12, 2, 0, 15), True),  # extended time
        ("Dec Mo-Fr 09:00-17:00; Nov off", at(2026, 11, 30, 10), False),
        ("Dec Mo-Fr 09:00-17:00; Nov off", at(2026, 12, 1, 10), True),
        # Winter in Yangpu: sunrise about 06:37, sunset about 16:51.
        ("sunrise-sunset", at(2026, 12, 5, 12), True),
        ("sunrise-sunset", at(2026, 12, 5, 17, 30), False),
        ("sunrise-sunset", at(2026, 12, 5, 6, 0), False),
        # Sa PH reads as Sa,PH; no holiday on this Saturday, so open.
        ("Mo-Su 08:00-20:00; Sa PH off", at(2026, 12, 5, 12), False),
        ("Mo-Su 08:00-20:00; Sa PH off", at(2026, 12, 4, 12), True),
    ],
)
def test_open_at(hours: str, now: datetime, expected: bool) -> None:
    assert open_state(hours, now).open is expected


@pytest.mark.parametrize(
    ("hours", "now"),
    [
        # Not given, not understood, or not evaluable here: unknown, never open or closed.
        ("", at(2026, 12, 1, 12)),
        ("   ", at(2026, 12, 1, 12)),  # the parser would read blanks as 24/7
        ("全天开放", at(2026, 12, 1, 12)),
        ("Mo-Xx 08:00-10:00", at(2026, 12, 1, 12)),
        ("Mo-Fr 8-18", at(2026, 12, 1, 12)),
        ("Mo 25:00-26:00", at(2026, 12, 1, 12)),
        ("Mo-Fr 08:00-18:00;", at(2026, 12, 1, 12)),
        ("Mo-Fr 08：00-18：00", at(2026, 12, 1, 12)),
        ("Mo-Fr 08:00-18:00 || 'on call'", at(2026, 12, 1, 12)),
        ("Mo-Fr 09:00-17:00; SH off", at(2026, 12, 1, 12)),
        ("Mo-Fr 09:00-17:00; PH +1 day off", at(2026, 12, 1, 12)),
        # A rule that is only a comment is unknown (the parser alone would say open).
        ('Mo-Fr 08:00-18:00 || "电话预约"', at(2026, 12, 5, 12)),
        ('"only after registration"', at(2026, 12, 1, 12)),
        ("Mo-Su 10:00-12:00 unknown", at(2026, 12, 1, 11)),
    ],
)
def test_unknown_is_neither_open_nor_closed(hours: str, now: datetime) -> None:
    state = open_state(hours, now)
    assert state.open is None and state.opens_at is None and state.closes_at is None


def test_a_comment_after_hours_keeps_them_open() -> None:
    assert open_state('Mo-Fr 08:00-18:00 || "电话预约"', at(2026, 12, 4, 12)).open is True
    assert open_state('Mo-Fr 08:00-18:00 "请到前台"', at(2026, 12, 4, 12)).open is True


def test_time_zone_is_shanghai() -> None:
    # 01:00 UTC on a Monday is 09:00 in Shanghai.
    assert open_state("Mo 08:00-10:00", datetime(2026, 11, 30, 1, tzinfo=UTC)).open is True
    assert open_state("Mo 00:00-02:00", datetime(2026, 11, 30, 1, tzinfo=UTC)).open is False


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        open_state("24/7", datetime(2026, 12, 1, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        intervals("24/7", datetime(2026, 12, 1), at(2026, 12, 2))


@pytest.mark.parametrize(
    ("hours", "now", "opens", "closes"),
    [
        ("Mo-Fr 08:00-18:00", at(2026, 11, 30, 7), at(2026, 11, 30, 8), None),
        ("Mo-Fr 08:00-18:00", at(2026, 11, 30, 12), None, at(2026, 11, 30, 18)),
        ("Mo-Fr 08:00-18:00", at(2026, 12, 4, 18), at(2026, 12, 7, 8), None),  # Fri evening
        ("Mo-Fr 08:00-12:00,13:00-18:00", at(2026, 12, 1, 12), at(2026, 12, 1, 13), None),
        ("Mo-Su 20:00-06:00", at(2026, 12, 1, 23), None, at(2026, 12, 2, 6)),
        ("Mo-Su 20:00-06:00", at(2026, 12, 2, 7), at(2026, 12, 2, 20), None),
        ("Sa 09:00-12:00", at(2026, 12, 5, 12, 1), at(2026, 12, 12, 9), None),
        ("Dec 25 10:00-12:00", at(2026, 12, 1, 12), None, None),  # past the lookahead
        ("24/7", at(2026, 12, 1, 12), None, None),  # never closes within the lookahead
        ("off", at(2026, 12, 1, 12), None, None),
    ],
)
def test_open_state_gives_the_next_change(
    hours: str, now: datetime, opens: datetime | None, closes: datetime | None
) -> None:
    state = open_state(hours, now)
    assert state.opens_at == opens and state.closes_at == closes
    for moment in (state.opens_at, state.closes_at):
        assert moment is None or (moment.utcoffset() == timedelta(0) and now < moment)


def test_intervals_cover_the_range_in_order_with_states_merged() -> None:
    start, end = at(2026, 11, 30, 10, 30), at(2026, 12, 3, 7)
    spans = intervals("Mo-Fr 08:00-18:00; We 06:00-24:00", start, end)
    assert spans is not None
    assert spans[0].start == start and spans[-1].end == end
    assert all(a.end == b.start and a.state != b.state for a, b in pairwise(spans))
    local = [(s.start.astimezone(SH).strftime("%d %H:%M"), s.state) for s in spans]
    assert local == [("30 10:30", "open"), ("30 18:00", "closed"), ("01 08:00", "open"),
                     ("01 18:00", "closed"), ("02 06:00", "open"), ("03 00:00", "closed")]
    assert intervals("24/7", start, end) == (Span(start, end, "open"),)
    assert intervals("off", start, end) == (Span(start, end, "closed"),)
    assert intervals("", start, end) is None
    assert intervals("全天开放", start, end) is None
    assert intervals("24/7", end, start) == ()


def test_unknown_spans_are_kept() -> None:
    spans = intervals("Mo-Fr 08:00-18:00 || unknown", at(2026, 12, 4), at(2026, 12, 6))
    assert spans is not None
    assert [(s.start.astimezone(SH).strftime("%a %H:%M"), s.state) for s in spans] == [
        ("Fri 00:00", "closed"), ("Fri 08:00", "open"), ("Fri 18:00", "closed"),
        ("Sat 00:00", "unknown")]


# Values with no PH, checked on days without holidays or swaps: the answers are the
# parser's own, span for span (the calendar changes nothing there).
PLAIN = ["Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", "Mo-Su 20:00-06:00", "Su 22:00-02:00",
         "Mo 00:00-00:15; Th 20:00-24:00; Fr-Su 00:00-00:15,20:00-24:00",
         "Mo,Tu,Th,Fr 12:00-18:00; Sa 12:00-17:00; Th[3],Th[-1] off",
         "week 2-52/2 We 00:00-24:00; week 1-53/2 Sa 00:00-24:00", "Mo-Fr 08:00+",
         "Mo-Fr 08:00-12:00, We 14:00-18:00; Su off", "10:00-12:00/01:00",
         "Fr-Sa 18:00-06:00", "Dec 24 off; 09:00-17:00"]


@pytest.mark.parametrize("hours", PLAIN)
def test_on_ordinary_days_the_answers_are_the_parsers(hours: str) -> None:
    start, end = at(2026, 11, 23), at(2026, 12, 27)
    parser = OpeningHours(hours, timezone=SH)
    theirs = [(a.astimezone(UTC), b.astimezone(UTC), str(state))
              for a, b, state, _comment in parser.intervals(start, end)]
    # Spans may be cut at other places (comments); the state must agree everywhere.
    ours = intervals(hours, start, end)
    assert ours is not None
    for a, b, state in theirs:
        for span in ours:
            lo, hi = max(a, span.start), min(b, span.end)
            if lo < hi:
                assert span.state == state, (hours, lo.astimezone(SH))


@pytest.mark.parametrize(
    ("value", "column", "words"),
    [
        ("全天开放", 1, "24/7"),
        ("周一至周五 8:00-18:00", None, "Mo Tu We Th Fr Sa Su"),
        ("工作日 09:00-17:00; 节假日休息", None, "PH"),
        ("Mo-Fr 08：00-18：00", 9, "write ':' (half-width)"),
        ("Mo-Fr 08:00–18:00", 12, "write '-' (half-width)"),
        ("Mo-Xx 08:00-10:00", 4, "expected a weekday: Mo Tu We Th Fr Sa Su"),
        ("Mo-Fr 8-18", 7, "a time span such as 08:00-18:00"),
        ("Mo-Fr 08:00-18:00;", 19, "stops too early"),
        ("Mo-Fr 09:00-17:00; SH off", None, "school holidays (SH)"),
        ("PH +1 day off", None, "PH +1 day"),
    ],
)
def test_the_reason_says_what_to_write(value: str, column: int | None, words: str) -> None:
    check = check_hours(value)
    assert check.valid is False
    assert check.value == value
    assert check.reason is not None and words in check.reason
    if column is not None:
        assert check.column == column


def test_a_valid_value_carries_the_parsers_reading() -> None:
    check = check_hours("  mo-fr   08:00-18:00;  PH off ")
    assert check.valid and check.reason is None
    assert check.value == "mo-fr 08:00-18:00; PH off"
    assert check.normalized == "Mo-Fr 08:00-18:00; PH closed"
    assert any("capitalized" in w for w in check.warnings)
    assert check_hours("") == check_hours("  ")
    assert check_hours("").valid is True  # not given is allowed, and unknown


def test_window_starts_at_local_midnight() -> None:
    start, end = window(at(2026, 12, 1, 23, 59))
    assert start == at(2026, 12, 1) and end == at(2026, 12, 9)
    assert end - at(2026, 12, 1, 23, 59) > LOOKAHEAD  # any instant of today sees 7 days
