"""Opening hours over real dates of mainland China's calendar: National Day week 2026,
adjusted working days (调休上班), Spring Festival 2026 and 2027, New Year 2027, PH off,
overnight spans and 24/7. Each row first checks, with the holidays package itself, that
the date is what the row says it is, so a changed calendar fails loudly here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maps.builder import build_map_html
from maps.cn_calendar import day
from maps.hours import LOOKAHEAD, open_state
from maps.payload import encode
from maps.records import MapRecord
from tests.maps.pageserver import serve

SH = ZoneInfo("Asia/Shanghai")
CN = holidays.China(years=range(2025, 2029), language="en_US")

Kind = Literal["holiday", "day off", "working", "working weekend"]


def package_kind(d: date) -> Kind:
    """What the package says of a date: one of its listed holidays, another day off
    (a weekend), a working weekday, or a weekend day people work (调休上班)."""
    if d in CN:
        return "holiday"
    if CN.is_working_day(d):
        return "working weekend" if d.weekday() >= 5 else "working"
    return "day off"


def paid_for(work: date) -> date:
    """The day off a working weekend day pays for, as the package names it."""
    stamp = work.strftime("%m/%d/%Y")
    found = [d for d, name in CN.items() if re.search(rf"substituted from {stamp}\b", name)]
    assert len(found) == 1, (work, found)
    return found[0]


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=SH)


NATIONAL_DAY = [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]
WORKING_SATURDAYS_2026 = sorted(d for d in CN.weekend_workdays
                                if d.year == 2026 and d.weekday() == 5)
SPRING_FESTIVAL_2027 = sorted(d for d, name in CN.items() if d.year == 2027 and (
    "Spring Festival" in name or "New Year's Eve" in name))

OFFICE = "Mo-Fr 09:00-17:00; PH off"
DAILY = "Mo-Su 08:00-20:00; PH off"


def test_the_package_has_what_these_tests_rely_on() -> None:
    # Every day of the National Day week is off, and at least one weekend day of it is
    # not listed as a holiday (the Sunday joined to the break).
    assert all(not CN.is_working_day(d) for d in NATIONAL_DAY)
    assert any(package_kind(d) == "day off" for d in NATIONAL_DAY)
    assert len(WORKING_SATURDAYS_2026) >= 2
    assert SPRING_FESTIVAL_2027[0] == date(2027, 2, 5)  # 除夕
    assert all(package_kind(d) == "holiday" for d in SPRING_FESTIVAL_2027)


@pytest.mark.parametrize("d", NATIONAL_DAY, ids=str)
def test_national_day_week(d: date) -> None:
    assert not CN.is_working_day(d)
    assert day(d).holiday
    assert open_state(OFFICE, at(d, 10)).open is False
    assert open_state(DAILY, at(d, 10)).open is False
    holiday_hours = "Mo-Su 08:00-20:00; PH 10:00-14:00"
    assert open_state(holiday_hours, at(d, 11)).open is True
    assert open_state(holiday_hours, at(d, 9)).open is False
    assert open_state(holiday_hours, at(d, 15)).open is False
    assert open_state("24/7", at(d, 3)).open is True
    assert open_state("Mo-Su 20:00-06:00", at(d, 23)).open is True  # no PH rule: as usual


@pytest.mark.parametrize(
    ("d", "kind"),
    [(date(2026, 9, 30), "working"), (date(2026, 10, 8), "working"),
     (date(2026, 10, 9), "working"), (date(2026, 10, 10), "working weekend")],
    ids=str,
)
def test_around_national_day_offices_open(d: date, kind: Kind) -> None:
    assert package_kind(d) == kind
    assert not day(d).holiday
    assert open_state(OFFICE, at(d, 10)).open is True
    assert open_state(DAILY, at(d, 10)).open is True


def test_no_opening_within_the_week_over_national_day() -> None:
    # Closed from the evening of 09-30 until 10-08 09:00: more than the 7-day lookahead.
    assert package_kind(date(2026, 10, 8)) == "working"
    state = open_state(OFFICE, at(date(2026, 9, 30), 18))
    assert (state.open, state.opens_at, state.closes_at) == (False, None, None)
    state = open_state(OFFICE, at(date(2026, 10, 7), 12))
    assert state.open is False and state.opens_at == at(date(2026, 10, 8), 9)
    # Friday evening: the next opening is the adjusted working Saturday.
    assert package_kind(date(2026, 10, 10)) == "working weekend"
    state = open_state(OFFICE, at(date(2026, 10, 9), 18))
    assert state.opens_at == at(date(2026, 10, 10), 9)


@pytest.mark.parametrize("saturday", WORKING_SATURDAYS_2026, ids=str)
def test_an_adjusted_working_saturday_opens_as_the_weekday_it_pays_for(saturday: date) -> None:
    assert package_kind(saturday) == "working weekend" and saturday.weekday() == 5
    weekday = paid_for(saturday).weekday()
    assert weekday < 5
    assert day(saturday).works_as == weekday and not day(saturday).holiday
    assert open_state(OFFICE, at(saturday, 10)).open is True
    assert open_state("Mo-Fr 09:00-17:00; Sa off", at(saturday, 10)).open is True
    # Its own Saturday hours do not apply: it is a working day.
    assert open_state("Sa 09:00-12:00", at(saturday, 10)).open is False
    name = ("Mo", "Tu", "We", "Th", "Fr")[weekday]
    short_day = f"Mo-Fr 09:00-17:00; {name} 09:00-12:00"
    state = open_state(short_day, at(saturday, 10))
    assert state.open is True and state.closes_at == at(saturday, 12)
    assert open_state(short_day, at(saturday, 13)).open is False


@pytest.mark.parametrize("sunday", [date(2026, 1, 4), date(2026, 9, 20)], ids=str)
def test_an_adjusted_working_sunday_opens_too(sunday: date) -> None:
    assert package_kind(sunday) == "working weekend" and sunday.weekday() == 6
    assert day(sunday).works_as == paid_for(sunday).weekday()
    assert open_state(OFFICE, at(sunday, 10)).open is True
    assert open_state("Mo-Sa 09:00-17:00; Su off", at(sunday, 10)).open is True


def test_overnight_hours_follow_the_working_saturday() -> None:
    saturday, sunday, monday = date(2026, 10, 10), date(2026, 10, 11), date(2026, 10, 12)
    assert package_kind(saturday) == "working weekend"
    assert package_kind(sunday) == "day off" and package_kind(monday) == "working"
    evenings = "Mo-Fr 18:00-02:00"
    assert open_state(evenings, at(saturday, 1)).open is True  # Friday night's tail
    assert open_state(evenings, at(saturday, 23)).open is True  # works as a weekday
    assert open_state(evenings, at(sunday, 1)).open is True  # ... into Sunday morning
    assert open_state(evenings, at(sunday, 23)).open is False  # an ordinary Sunday
    assert open_state(evenings, at(monday, 1)).open is False
    assert open_state(evenings, at(saturday, 23)).closes_at == at(sunday, 2)


@pytest.mark.parametrize("d", SPRING_FESTIVAL_2027, ids=str)
def test_spring_festival_2027(d: date) -> None:
    assert package_kind(d) == "holiday"
    assert day(d).holiday
    assert open_state(OFFICE, at(d, 10)).open is False
    assert open_state(DAILY, at(d, 10)).open is False
    assert open_state("24/7", at(d, 10)).open is True


def test_around_spring_festival_2027_offices_open() -> None:
    before, after = SPRING_FESTIVAL_2027[0] - timedelta(days=1), SPRING_FESTIVAL_2027[-1]
    after += timedelta(days=1)
    for d in (before, after):
        assert package_kind(d) == "working"
        assert open_state(OFFICE, at(d, 10)).open is True
    state = open_state(OFFICE, at(before, 18))
    assert state.opens_at == at(after, 9)


@pytest.mark.parametrize(
    ("d", "kind", "value", "hh", "expected"),
    [
        # Spring Festival 2026: the break runs 02-15..02-23; 02-14 is worked.
        (date(2026, 2, 14), "working weekend", OFFICE, 10, True),
        (date(2026, 2, 15), "day off", DAILY, 10, False),  # Sunday joined to the break
        (date(2026, 2, 17), "holiday", OFFICE, 10, False),
        (date(2026, 2, 22), "day off", DAILY, 10, False),
        (date(2026, 2, 23), "holiday", OFFICE, 10, False),  # substitute day off (Monday)
        (date(2026, 2, 24), "working", OFFICE, 10, True),
        (date(2026, 2, 28), "working weekend", OFFICE, 10, True),
        # A one-day festival on a Friday takes the weekend with it (与周末连休).
        (date(2026, 6, 19), "holiday", DAILY, 10, False),
        (date(2026, 6, 20), "day off", DAILY, 10, False),
        (date(2026, 6, 21), "day off", DAILY, 10, False),
        (date(2026, 6, 22), "working", DAILY, 10, True),
        # An ordinary weekend is no holiday: PH off changes nothing.
        (date(2026, 11, 28), "day off", DAILY, 10, True),
        (date(2026, 11, 29), "day off", DAILY, 10, True),
        # New Year 2027 (Friday): the weekend joins it.
        (date(2026, 12, 31), "working", OFFICE, 10, True),
        (date(2027, 1, 1), "holiday", DAILY, 10, False),
        (date(2027, 1, 2), "day off", DAILY, 10, False),
        (date(2027, 1, 4), "working", OFFICE, 10, True),
        # Overnight spans and PH off: the evening before the break opens as usual, the
        # break's own evenings do not.
        (date(2026, 9, 30), "working", "Mo-Su 20:00-06:00; PH off", 23, True),
        (date(2026, 10, 3), "holiday", "Mo-Su 20:00-06:00; PH off", 23, False),
        (date(2026, 10, 4), "day off", "Mo-Su 20:00-06:00; PH off", 21, False),
        (date(2026, 10, 8), "working", "Mo-Su 20:00-06:00; PH off", 21, True),
        (date(2026, 10, 2), "holiday", "Mo-Su 20:00-06:00", 3, True),
        # 24/7 is 24/7.
        (date(2026, 10, 1), "holiday", "24/7", 12, True),
        (date(2026, 10, 10), "working weekend", "24/7", 12, True),
        # PH alone: open on holidays only.
        (date(2026, 10, 5), "holiday", "PH 09:00-12:00", 10, True),
        (date(2026, 10, 10), "working weekend", "PH 09:00-12:00", 10, False),
        (date(2026, 11, 28), "day off", "PH 09:00-12:00", 10, False),
    ],
    ids=lambda x: str(x) if isinstance(x, date) else None,
)
def test_hours_on_real_dates(d: date, kind: Kind, value: str, hh: int, expected: bool) -> None:
    assert package_kind(d) == kind
    assert open_state(value, at(d, hh)).open is expected


def test_the_calendar_agrees_with_the_package_all_year() -> None:
    d = date(2026, 1, 1)
    while d.year < 2028:
        kind = package_kind(d)
        cal = day(d)
        if kind == "holiday":
            assert cal.holiday, d
        elif kind == "working":
            assert not cal.holiday and cal.works_as is None, d
        elif kind == "working weekend":
            assert not cal.holiday and cal.works_as == paid_for(d).weekday(), d
        else:  # a weekend day: a holiday only when it touches one the package lists
            touches = any(package_kind(d + timedelta(days=k)) == "holiday"
                          for k in (-2, -1, 1, 2)
                          if all(not CN.is_working_day(d + timedelta(days=j))
                                 for j in range(min(k, 0), max(k, 0) + 1)))
            assert cal.holiday is touches, d
        d += timedelta(days=1)


# --- the page's "open now" is the server's ----------------------------------------------

PAGE_HOURS = [
    "24/7", "off", OFFICE, DAILY, "Mo-Su 20:00-06:00; PH off", "Mo-Su 20:00-06:00",
    "Mo-Fr 18:00-02:00", "Mo-Fr 09:00-17:00; We 09:00-12:00", "PH 09:00-12:00",
    "Mo-Fr 08:30-17:00; Sa 09:00-12:00; Su,PH off", 'Mo-Fr 08:00-18:00 || "电话预约"',
    "Mo-Su 10:00-12:00 unknown; PH off", "sunrise-sunset; PH off", "Mo-Fr 08:00-12:00,13:00-18:00",
    "全天开放", "",
]
#: Besides the page as built now: weeks with National Day, the working Saturday after
#: it, New Year 2027, Spring Festival 2027 and Spring Festival 2026 (working Saturdays).
ANCHORS = [datetime(2026, 9, 28, 9, 13, tzinfo=SH), datetime(2026, 10, 5, 20, 41, tzinfo=SH),
           datetime(2026, 12, 28, 7, 2, tzinfo=SH), datetime(2027, 2, 2, 16, 30, tzinfo=SH),
           datetime(2026, 2, 11, 0, 0, tzinfo=SH)]
WEEK_MS = 7 * 24 * 3600 * 1000

STASH = """t0 => {
  const page = window.aedmapPage;
  (window.__anchors = window.__anchors || []).push({
    t0: Math.max(t0, page.hoursWindow.from), win: page.hoursWindow,
    byText: Object.fromEntries(page.hoursTable.map(h => [h.text, h]))});
}"""
# The page's own function on the page's own data, at the same offset in every window.
AT_OFFSET = """([offset, texts]) => window.__anchors.map(a => {
  const ms = a.t0 + offset;
  return [ms, a.win.to, texts.map(t => {
    const s = AedMap.hoursAt(a.byText[t], a.win, ms);
    return [s.open, s.opensAt, s.closesAt];
  })];
})"""


@pytest.fixture(scope="module")
def hours_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    records = [MapRecord(f"h{i}", "aed", 31.25 + i * 0.003, 121.52, "ready", f"h{i}",
                         access_hours=v) for i, v in enumerate(PAGE_HOURS)]
    errors: list[str] = []
    with serve() as server:
        started = datetime.now(UTC)
        server.pages["/map"] = build_map_html(records, tiles="none", center=(31.27, 121.52))
        ctx = browser.new_context()
        try:
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url("/map"))
            page.wait_for_function("() => window.aedmapPage && aedmapPage.shown !== undefined")
            page.evaluate(STASH, int(started.timestamp() * 1000))  # as embedded in the page
            for anchor in ANCHORS:
                page.evaluate("p => aedmapPage.setData(p)", encode(records, now=anchor))
                page.evaluate(STASH, int(anchor.timestamp() * 1000))
            yield page, errors
        finally:
            ctx.close()


# Random instants seldom fall on a change; these are all of them and the ms around, in
# the window (outside it the page knows nothing, by design).
AT_EDGES = """() => window.__anchors.flatMap(a => Object.values(a.byText).flatMap(h => {
  const edges = [a.win.from, a.win.to].concat(...(h.open || []), ...h.unknown);
  return edges.flatMap(e => [e - 1, e, e + 1])
    .filter(ms => ms >= a.win.from && ms < a.win.to).map(ms => {
    const s = AedMap.hoursAt(h, a.win, ms);
    return [h.text, ms, s.open];
  });
}))"""


def _utc(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


@pytest.mark.browser
@settings(max_examples=1000, deadline=None)
@given(offset=st.integers(0, WEEK_MS - 1))
def test_page_and_server_agree_on_open_now(hours_page: tuple[Any, list[str]],
                                           offset: int) -> None:
    """1,000 random instants within the next 7 days of each window (the page as built
    now, and the holiday weeks above), every value: the page's answer is open_state's."""
    page, errors = hours_page
    texts = [v for v in PAGE_HOURS if v]
    for ms, window_end, answers in page.evaluate(AT_OFFSET, [offset, [*texts, ""]]):
        moment = datetime.fromtimestamp(ms / 1000, UTC)
        # Where the lookahead runs past the window the page knows less, never otherwise.
        page_sees_all = ms + LOOKAHEAD.total_seconds() * 1000 <= window_end
        for value, (is_open, opens, closes) in zip([*texts, ""], answers, strict=True):
            server = open_state(value, moment)
            assert is_open == server.open, (value, moment.astimezone(SH))
            for ours, theirs in ((_utc(opens), server.opens_at), (_utc(closes), server.closes_at)):
                if ours is not None or page_sees_all:
                    assert ours == theirs, (value, moment.astimezone(SH))
    assert errors == []


@pytest.mark.browser
def test_page_and_server_agree_at_every_change(hours_page: tuple[Any, list[str]]) -> None:
    page, errors = hours_page
    answers = page.evaluate(AT_EDGES)
    assert len(answers) > 1000
    for value, ms, is_open in answers:
        moment = datetime.fromtimestamp(ms / 1000, UTC)
        assert is_open == open_state(value, moment).open, (value, moment.astimezone(SH))
    assert errors == []
