"""The threshold (a count, or a share of the population rounded up) and the overdue rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from plugins.interpellation.models import Interpellation
from plugins.interpellation.services import add_months
from plugins.interpellation.threshold import ThresholdError, compute, parse


@pytest.mark.parametrize(
    "text, population, count",
    [
        ("500", 48250, 500),  # a fixed number ignores the population
        ("500", 0, 500),
        ("1 %", 48250, 483),  # 482.5 → 483: rounded up
        ("1%", 48200, 482),  # exact: no rounding
        ("1 %", 48201, 483),  # 482.01 → 483: any fraction rounds up
        ("0,5 %", 1001, 6),  # 5.005 → 6 (French decimal comma)
        ("0.5%", 1000, 5),
        ("2,5\u202f%", 12345, 309),  # 308.625 → 309 (narrow no-break space before %)
        ("1 %", 50, 1),  # 0.5 → 1: never below one signature
        ("0.001%", 100, 1),
        ("100 %", 7, 7),
    ],
)
def test_threshold_count_or_percentage_rounded_up(text, population, count):
    threshold = compute(text, population)
    assert threshold.count == count
    assert threshold.rule == ("percent" if "%" in text else "count")


def test_threshold_shown_as_both():
    by_share = compute("1 %", 48250)
    assert by_share.describe() == "1%" and by_share.count == 483
    assert by_share.share_of_population == Decimal(483) * 100 / Decimal(48250)
    by_count = compute("500", 48250)
    assert by_count.describe() == "500"
    assert round(by_count.share_of_population, 2) == Decimal("1.04")
    assert compute("500", 0).share_of_population is None


@pytest.mark.parametrize("text", ["", "abc", "0", "-3", "12.5", "150 %", "0 %", "NaN", "1e3%"])
def test_unusable_thresholds_are_refused(text):
    with pytest.raises(ThresholdError):
        compute(text, 48250)


def test_a_percentage_needs_the_population():
    with pytest.raises(ThresholdError):
        compute("1 %", 0)
    assert parse("1 %") == ("percent", Decimal("1"))


def _item(stage, **dates):
    return Interpellation(
        stage=stage,
        title="t",
        body="b",
        kind="question",
        council="municipal",
        committee_token="x",
        **dates,
    )


def test_overdue_days_count_calendar_days_after_an_inclusive_deadline(app):
    due = date(2026, 4, 12)
    review = _item("review", review_due_on=due)
    assert review.days_overdue(date(2026, 4, 1)) == 0
    assert review.days_overdue(due) == 0  # due today: on time
    assert review.days_overdue(date(2026, 4, 13)) == 1
    assert review.days_overdue(date(2026, 5, 22)) == 40
    council = _item("scheduled", council_due_on=due)
    assert council.days_overdue(date(2026, 7, 12)) == 91
    # Final stages and the signature period never run late: they end.
    assert _item("inadmissible", review_due_on=due).days_overdue(date(2027, 1, 1)) == 0
    assert _item("expired").days_overdue(date(2027, 1, 1)) == 0
    collecting = _item("collecting", signatures_close_at=datetime(2026, 4, 12, 10, 0))
    assert collecting.days_overdue(date(2026, 4, 11)) == 0
    # An answer after the council's deadline is shown as answered late, by as many days.
    answered = _item("answered", council_due_on=due, answered_on=date(2026, 4, 20))
    assert answered.days_overdue(date(2026, 6, 1)) == 0 and answered.days_late() == 8
    assert _item("answered", council_due_on=due, answered_on=due).days_late() == 0


def test_collecting_past_its_period_reads_as_expired(app):
    end = datetime(2026, 4, 12, 10, 0)
    item = _item("collecting", signatures_close_at=end)
    assert item.current_stage(end - timedelta(seconds=1)) == "collecting"
    assert item.current_stage(end) == "expired"
    assert item.deadline(end - timedelta(days=1)) == ("signatures", end.date())


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 5, 31), 3, date(2026, 8, 31)),
    ],
)
def test_council_deadline_adds_calendar_months(day, months, expected):
    assert add_months(day, months) == expected
