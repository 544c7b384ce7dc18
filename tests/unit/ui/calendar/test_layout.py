"""The calendar's pure layout: overlapping appointments side by side, and DST days placed
by their zoned wall-clock times (spring forward and fall back in New York and Berlin)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.services.ports.calendar import AppointmentRow
from app.ui.calendar.entries import Entry, grid_layout
from app.ui.calendar.layout import (
    Placement,
    Span,
    day_length_minutes,
    day_range_ms,
    day_start_ms,
    dst_change,
    lanes,
    lay_out,
    local_time,
    month_days,
    shift_period,
    wall_instant_ms,
    wall_minutes,
    week_days,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def ms(text: str) -> int:
    """Epoch ms of an ISO UTC time."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def by_key(placements: list[Placement]) -> dict[str, Placement]:
    return {p.key: p for p in placements}


def row(key: str, start: str, end: str, **extra: object) -> AppointmentRow:
    return AppointmentRow(
        id=key,
        calendar_id=str(extra.pop("calendar_id", "cal_1")),
        type_id=None,
        start_ms=ms(start),
        end_ms=ms(end),
        status=str(extra.pop("status", "scheduled")),
    )


# -- side by side ---------------------------------------------------------------------------


def test_spans_that_do_not_overlap_each_take_the_whole_width() -> None:
    placed = by_key(lay_out([Span("a", 0, 60), Span("b", 60, 120), Span("c", 200, 230)]))
    for key in "abc":
        assert (placed[key].column, placed[key].span, placed[key].columns) == (0, 1, 1)
        assert placed[key].width == 1.0


def test_two_overlapping_spans_share_the_width_in_halves() -> None:
    placed = by_key(lay_out([Span("a", 0, 60), Span("b", 30, 90)]))
    assert (placed["a"].column, placed["b"].column) == (0, 1)
    assert placed["a"].width == placed["b"].width == 0.5
    assert placed["b"].left == 0.5


def test_a_column_freed_early_is_reused() -> None:
    # b and c both overlap a, not each other: two columns, c below b.
    placed = by_key(lay_out([Span("a", 0, 120), Span("b", 0, 30), Span("c", 60, 90)]))
    assert placed["a"].column == 0
    assert placed["b"].column == placed["c"].column == 1
    assert {p.columns for p in placed.values()} == {2}


def test_each_span_widens_over_free_columns_to_its_right() -> None:
    spans = [Span("a", 0, 100), Span("b", 0, 50), Span("c", 0, 20), Span("d", 60, 100)]
    placed = by_key(lay_out(spans))
    assert [placed[k].column for k in "abcd"] == [0, 1, 2, 1]
    assert placed["d"].span == 2, "nothing overlaps d in the third column: it takes it"
    assert placed["b"].span == 1, "c overlaps b in the third column"
    assert placed["a"].span == 1


def test_identical_and_zero_length_spans_are_never_on_top_of_each_other() -> None:
    placed = by_key(lay_out([Span("a", 10, 10), Span("b", 10, 10), Span("c", 10, 40)]))
    assert len({(p.column) for p in placed.values()}) == 3


def test_clusters_are_independent() -> None:
    placed = by_key(
        lay_out([Span("a", 0, 60), Span("b", 0, 60), Span("c", 0, 60), Span("d", 120, 180)])
    )
    assert placed["a"].columns == 3
    assert (placed["d"].columns, placed["d"].span) == (1, 1)


@pytest.mark.parametrize("seed", range(25))
def test_random_days_never_overlap_and_every_span_is_as_wide_as_it_can_be(seed: int) -> None:
    rng = random.Random(seed)
    spans = []
    for i in range(rng.randint(1, 60)):
        start = rng.randrange(0, 1400, 5)
        spans.append(Span(f"s{i}", start, start + rng.choice([0, 15, 30, 45, 60, 90, 240])))
    placed = lay_out(spans)
    assert sorted(p.key for p in placed) == sorted(s.key for s in spans)

    def overlaps(a: Placement, b: Placement) -> bool:
        a_end, b_end = max(a.end, a.start + 1e-6), max(b.end, b.start + 1e-6)
        return a.start < b_end and b.start < a_end

    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            if overlaps(a, b):
                assert a.columns == b.columns, "overlapping spans are in one cluster"
                a_cols = set(range(a.column, a.column + a.span))
                b_cols = set(range(b.column, b.column + b.span))
                assert not a_cols & b_cols, f"{a} and {b} are drawn on top of each other"
        # Maximal: the next column to the right (if any) holds something overlapping it.
        nxt = a.column + a.span
        if nxt < a.columns:
            assert any(
                b is not a and b.column <= nxt < b.column + b.span and overlaps(a, b)
                for b in placed
            ), f"{a} could be wider"


def test_lanes_keep_bars_of_the_same_day_apart() -> None:
    found = lanes([("a", 0, 2), ("b", 1, 1), ("c", 3, 6), ("d", 2, 4)])
    assert found["a"] != found["b"]
    assert found["d"] != found["a"] and found["d"] != found["c"]
    assert found["c"] == found["a"], "c starts after a ends: the same lane"


# -- DST days ---------------------------------------------------------------------------------


def test_spring_forward_in_new_york_is_a_23_hour_day_without_02_00() -> None:
    day = date(2026, 3, 8)
    assert day_length_minutes(day, NEW_YORK) == 23 * 60
    change = dst_change(day, NEW_YORK)
    assert change is not None and (change.kind, change.start, change.end) == ("skipped", 120, 180)
    assert change.describe() == "Clocks go forward: 02:00–03:00 is skipped"
    # 03:30 EDT is 07:30 UTC: placed at its wall-clock 03:30, not at 02:30 "hours elapsed".
    assert wall_minutes(ms("2026-03-08T07:30:00"), day, NEW_YORK) == 3 * 60 + 30
    assert wall_instant_ms(day, 150, NEW_YORK) is None, "02:30 does not exist that day"
    assert wall_instant_ms(day, 180, NEW_YORK) == ms("2026-03-08T07:00:00")


def test_fall_back_in_new_york_is_a_25_hour_day_with_01_00_twice() -> None:
    day = date(2026, 11, 1)
    assert day_length_minutes(day, NEW_YORK) == 25 * 60
    change = dst_change(day, NEW_YORK)
    assert change is not None and (change.kind, change.start, change.end) == ("repeated", 60, 120)
    # 01:30 EDT (05:30 UTC) and 01:30 EST (06:30 UTC) are both at wall-clock 01:30.
    assert wall_minutes(ms("2026-11-01T05:30:00"), day, NEW_YORK) == 90
    assert wall_minutes(ms("2026-11-01T06:30:00"), day, NEW_YORK) == 90
    assert wall_minutes(ms("2026-11-01T12:00:00"), day, NEW_YORK) == 7 * 60


def test_berlin_changes_at_02_00_and_03_00_wall_clock() -> None:
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert day_length_minutes(spring, BERLIN) == 23 * 60
    assert day_length_minutes(autumn, BERLIN) == 25 * 60
    forward, back = dst_change(spring, BERLIN), dst_change(autumn, BERLIN)
    assert forward is not None and (forward.kind, forward.start, forward.end) == (
        "skipped",
        120,
        180,
    )
    assert back is not None and (back.kind, back.start, back.end) == ("repeated", 120, 180)
    assert dst_change(date(2026, 6, 1), BERLIN) is None
    # 09:00 CEST on the spring day is 07:00 UTC: at 09:00 on the grid.
    assert wall_minutes(ms("2026-03-29T07:00:00"), spring, BERLIN) == 9 * 60


def test_a_week_holding_a_dst_day_spans_its_real_length() -> None:
    days = week_days(date(2026, 3, 8))  # Monday 2 to Sunday 8 March
    start, end = day_range_ms(days[0], days[-1], NEW_YORK)
    assert (end - start) / 3_600_000 == 7 * 24 - 1
    assert local_time(start, NEW_YORK).hour == 0
    assert local_time(day_start_ms(date(2026, 3, 9), NEW_YORK), NEW_YORK).hour == 0


def test_appointments_on_a_spring_forward_day_sit_at_their_wall_clock_times() -> None:
    day = date(2026, 3, 8)
    entries = [
        Entry(
            "before", (row("before", "2026-03-08T06:00:00", "2026-03-08T06:30:00"),)
        ),  # 01:00 EST
        Entry(
            "across", (row("across", "2026-03-08T06:30:00", "2026-03-08T07:30:00"),)
        ),  # 01:30→03:30
        Entry("after", (row("after", "2026-03-08T14:00:00", "2026-03-08T15:00:00"),)),  # 10:00 EDT
    ]
    layout = grid_layout(entries, [day], NEW_YORK)
    placed = {p.entry.key: p for p in layout.timed[0]}
    assert (placed["before"].top, placed["before"].bottom) == (60, 90)
    # An hour long, but it crosses the skipped hour: two wall-clock hours tall.
    assert (placed["across"].top, placed["across"].bottom) == (90, 210)
    assert (placed["after"].top, placed["after"].bottom) == (600, 660)


def test_the_repeated_hour_draws_both_of_its_appointments_side_by_side() -> None:
    day = date(2026, 11, 1)
    # 01:00–01:30 EDT (05:00 UTC) and 01:00–01:30 EST (06:00 UTC): the same wall-clock place.
    first = Entry("edt", (row("edt", "2026-11-01T05:00:00", "2026-11-01T05:30:00"),))
    second = Entry("est", (row("est", "2026-11-01T06:00:00", "2026-11-01T06:30:00"),))
    # 01:30 EDT to 01:00 EST: half an hour that ends before it began on the wall clock.
    folded = Entry("fold", (row("fold", "2026-11-01T05:30:00", "2026-11-01T06:00:00"),))
    layout = grid_layout([first, second, folded], [day], NEW_YORK)
    placed = {p.entry.key: p for p in layout.timed[0]}
    assert (placed["edt"].top, placed["edt"].bottom) == (60, 90)
    assert (placed["est"].top, placed["est"].bottom) == (60, 90)
    assert placed["edt"].column != placed["est"].column, "never on top of each other"
    assert placed["fold"].top == 90 and placed["fold"].bottom - placed["fold"].top >= 20, (
        "drawn from its wall-clock start, tall enough to read"
    )


def test_an_appointment_across_midnight_is_in_both_days() -> None:
    days = [date(2026, 6, 1), date(2026, 6, 2)]
    late = Entry(
        "late", (row("late", "2026-06-02T03:00:00", "2026-06-02T05:00:00"),)
    )  # 23:00-01:00
    layout = grid_layout([late], days, NEW_YORK)
    assert [(p.top, p.bottom) for p in layout.timed[0]] == [(23 * 60, 24 * 60)]
    assert [(p.top, p.bottom) for p in layout.timed[1]] == [(0, 60)]
    assert layout.bars == []


def test_multi_day_and_midnight_to_midnight_appointments_become_bars() -> None:
    days = week_days(date(2026, 6, 3))
    retreat = Entry("retreat", (row("retreat", "2026-06-02T13:00:00", "2026-06-04T21:00:00"),))
    all_day = Entry("allday", (row("allday", "2026-06-03T04:00:00", "2026-06-04T04:00:00"),))
    layout = grid_layout([retreat, all_day], days, NEW_YORK)
    bars = {b.entry.key: b for b in layout.bars}
    assert (bars["retreat"].first, bars["retreat"].last) == (1, 3)
    assert (bars["allday"].first, bars["allday"].last) == (2, 2)
    assert bars["retreat"].lane != bars["allday"].lane
    assert layout.lane_count == 2
    assert all(not day for day in layout.timed)


# -- periods ----------------------------------------------------------------------------------


def test_weeks_start_on_the_locale_first_day() -> None:
    assert week_days(date(2026, 12, 9))[0] == date(2026, 12, 7)  # Monday
    assert week_days(date(2026, 12, 9), first_weekday=6)[0] == date(2026, 12, 6)  # Sunday


def test_a_month_is_whole_weeks_around_it() -> None:
    days = month_days(date(2026, 2, 14))
    assert days[0] == date(2026, 1, 26) and days[-1] == date(2026, 3, 1)  # Feb 1 is a Sunday
    assert len(days) % 7 == 0
    assert len(month_days(date(2026, 8, 1))) == 42  # August 2026 needs six rows


def test_periods_shift_by_their_own_length() -> None:
    assert shift_period(date(2026, 1, 31), "month", 1) == date(2026, 2, 28)
    assert shift_period(date(2026, 12, 15), "month", 1) == date(2027, 1, 15)
    assert shift_period(date(2026, 1, 15), "month", -1) == date(2025, 12, 15)
    assert shift_period(date(2026, 3, 7), "week", 1) == date(2026, 3, 14)
    assert shift_period(date(2026, 3, 7), "day", -1) == date(2026, 3, 6)
