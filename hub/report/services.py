"""The indicators of the annual report: its single figures in one statement, its breakdowns
grouped in the database (never one query per object), then each plugin's sections."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import and_, case, distinct, func, select

from ..extensions import db
from ..timeutil import local_now, local_to_utc
from .model import Indicator, ReportSection


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The hub's local calendar year as stored timestamps (naive UTC): a contribution made at
    00:30 on 1 January in Paris belongs to the new year, though it is still 31 December in UTC."""
    return local_to_utc(datetime(year, 1, 1)), local_to_utc(datetime(year + 1, 1, 1))


def _local_year(start: datetime) -> tuple[datetime, datetime]:
    year = (start + timedelta(days=1)).year
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


def first_year(year: int | None = None) -> int | None:
    """The first year anything was contributed or held (the report's first edition).

    With ``year``, the same statement also takes that year's single figures (see
    :func:`_figures`): the page that checks the year then shows its report."""
    found = [_figures(year)[key] for key in ("first_contribution", "first_meeting")]
    found = [d for d in found if d is not None]
    return min(found).year if found else None


def _figures(year: int | None) -> dict:
    """The report's single figures in one statement, each a scalar subquery: the first
    contribution's and session's dates, and with ``year``, that year's counts and sums (the
    breakdowns, grouped, have their own queries). Read once per request."""
    if not has_request_context():
        return _read_figures(year)
    memo = g.setdefault("hub_report_figures", {})
    if year not in memo:
        memo[year] = _read_figures(year)
    return memo[year]


def _read_figures(year: int | None) -> dict:
    from ..contributions.models import Contribution
    from ..projects.models import Relay
    from ..sessions.models import Meeting
    from ..signatures.models import Signature

    def one(*columns, where=()):
        return [select(column).where(*where).scalar_subquery() for column in columns]

    names = ["first_contribution", "first_meeting"]
    columns = one(func.min(Contribution.created_at)) + one(func.min(Meeting.starts_at))
    if year is not None:
        start, end = year_bounds(year)
        local_start, local_end = _local_year(start)
        figures = {
            ("total", "authors", "unnamed", "answered"): one(
                func.count(Contribution.id),
                func.count(distinct(Contribution.author_id)),
                func.coalesce(func.sum(case((Contribution.author_id.is_(None), 1), else_=0)), 0),
                func.count(Contribution.answer_id),
                where=(Contribution.created_at >= start, Contribution.created_at < end),
            ),
            ("held", "attendance", "minutes"): one(
                func.count(Meeting.id),
                func.coalesce(func.sum(Meeting.attendance_count), 0),
                func.count(Meeting.minutes_published_at),
                # Session times are local wall-clock times, not UTC timestamps.
                where=(
                    Meeting.starts_at >= local_start,
                    Meeting.starts_at < min(local_end, local_now()),
                    Meeting.cancelled_at.is_(None),
                ),
            ),
            ("signatures",): one(
                func.count(Signature.id),
                where=(Signature.created_at >= start, Signature.created_at < end),
            ),
            ("invited", "accepted", "declined"): one(
                func.count(Relay.id),
                func.coalesce(func.sum(case((Relay.status == "accepted", 1), else_=0)), 0),
                func.coalesce(func.sum(case((Relay.status == "declined", 1), else_=0)), 0),
                where=(Relay.invited_at >= start, Relay.invited_at < end),
            ),
            ("reports", "reached"): one(
                func.count(Relay.id),
                func.coalesce(func.sum(Relay.residents_reached), 0),
                where=(Relay.report_submitted_at >= start, Relay.report_submitted_at < end),
            ),
        }
        for keys, selected in figures.items():
            names.extend(keys)
            columns.extend(selected)
    row = db.session.execute(
        select(*(column.label(name) for name, column in zip(names, columns, strict=True)))
    ).one()
    return dict(zip(names, row, strict=True))


def _contribution_sections(year, start, end) -> list[ReportSection]:
    from ..answers.models import Answer
    from ..contributions.models import Contribution
    from ..contributions.services import channel_labels
    from ..territory.models import Neighbourhood

    in_year = and_(Contribution.created_at >= start, Contribution.created_at < end)
    figures = _figures(year)
    total, authors, unnamed, answered = (
        figures[key] for key in ("total", "authors", "unnamed", "answered")
    )
    labels = channel_labels()
    by_channel = db.session.execute(
        select(Contribution.channel, func.count(Contribution.id))
        .where(in_year)
        .group_by(Contribution.channel)
        .order_by(func.count(Contribution.id).desc(), Contribution.channel)
    ).all()
    by_neighbourhood = db.session.execute(
        select(Neighbourhood.name, func.count(Contribution.id))
        .outerjoin(Contribution, and_(Contribution.neighbourhood_id == Neighbourhood.id, in_year))
        .group_by(Neighbourhood.id, Neighbourhood.name)
        .order_by(Neighbourhood.name)
    ).all()
    delays = [
        (answered_at - created_at).total_seconds() / 86400
        for created_at, answered_at in db.session.execute(
            select(Contribution.created_at, Answer.created_at)
            .join(Answer, Contribution.answer_id == Answer.id)
            .where(in_year)
        )
    ]
    reached = sum(1 for _, count in by_neighbourhood if count)
    participation = ReportSection(
        "participation",
        _("Who took part"),
        [
            Indicator("contributions", _("Contributions"), total),
            Indicator(
                "contributors",
                _("People who contributed (accounts, plus contributions without an account)"),
                authors + unnamed,
            ),
        ],
        order=10,
    )
    channels = ReportSection(
        "channels",
        _("Channels"),
        [
            Indicator(f"channel_{name}", str(labels.get(name, name)), count)
            for name, count in by_channel
        ],
        breakdown=[(str(labels.get(name, name)), count) for name, count in by_channel],
        breakdown_title=_("Contributions by channel"),
        note=_("Contributions made online, on paper, in meetings or through relays."),
        order=20,
    )
    neighbourhoods = ReportSection(
        "neighbourhoods",
        _("Neighbourhoods reached"),
        [
            Indicator(
                "neighbourhoods_reached",
                _("Neighbourhoods with at least one contribution"),
                reached,
            ),
            Indicator(
                "neighbourhoods", _("Neighbourhoods of the territory"), len(by_neighbourhood)
            ),
        ],
        breakdown=[(name, count) for name, count in by_neighbourhood],
        breakdown_title=_("Contributions by neighbourhood"),
        order=30,
    )
    answers = ReportSection(
        "answers",
        _("Answers to contributions"),
        [
            Indicator("answered", _("Contributions that received an answer"), answered),
            Indicator(
                "answered_share",
                _("Share of the year's contributions answered"),
                round(100 * answered / total, 1) if total else None,
                "%",
            ),
            Indicator(
                "answer_days_median",
                _("Time to answer, median"),
                round(statistics.median(delays), 1) if delays else None,
                "days",
            ),
            Indicator(
                "answer_days_longest",
                _("Time to answer, longest"),
                round(max(delays), 1) if delays else None,
                "days",
            ),
        ],
        order=40,
    )
    return [participation, channels, neighbourhoods, answers]


def _meeting_and_relay_sections(year) -> list[ReportSection]:
    figures = _figures(year)
    held, attendance, minutes, signatures = (
        figures[key] for key in ("held", "attendance", "minutes", "signatures")
    )
    invited, accepted, declined, reports, reached = (
        figures[key] for key in ("invited", "accepted", "declined", "reports", "reached")
    )
    return [
        ReportSection(
            "meetings",
            _("Meetings"),
            [
                Indicator("meetings", _("Meetings held"), held),
                Indicator("attendance", _("People present, all meetings together"), attendance),
                Indicator("minutes", _("Minutes published"), minutes),
            ],
            order=50,
        ),
        ReportSection(
            "relays",
            _("Relays"),
            [
                Indicator("relays_invited", _("Bodies invited to relay a project"), invited),
                Indicator("relays_accepted", _("Relays accepted"), accepted),
                Indicator("relays_declined", _("Relays declined"), declined),
                Indicator("relay_reports", _("Relay reports received"), reports),
                Indicator("relay_reached", _("Residents the relays reached"), reached),
            ],
            order=60,
        ),
        ReportSection(
            "signatures",
            _("Signatures"),
            [
                Indicator(
                    "signatures",
                    _("Signatures collected (petitions, interpellations…)"),
                    signatures,
                )
            ],
            order=70,
        ),
    ]


def annual_report(year: int) -> list[ReportSection]:
    """Every section of ``year``'s report, the core's first, then the plugins', in order."""
    start, end = year_bounds(year)
    sections = _contribution_sections(year, start, end) + _meeting_and_relay_sections(year)
    # Enabled plugins only: a plugin switched off has no section (its tables may be stale).
    hook = current_app.extensions["hub"].plugins.hook("hub_annual_report")
    for result in hook(year=year, start=start, end=end):
        sections.extend(result or [])
    return sorted(sections, key=lambda s: s.order)


def report_rows(sections: list[ReportSection]):
    """The report as CSV rows: section, indicator key, label, value, unit; then breakdowns."""
    yield ["section", "indicator", "label", "value", "unit"]
    for section in sections:
        for indicator in section.indicators:
            value = "" if indicator.value is None else indicator.value
            yield [section.key, indicator.key, indicator.label, value, indicator.unit]
        for label, count in section.breakdown:
            yield [section.key, f"{section.key}_breakdown", label, count, ""]
