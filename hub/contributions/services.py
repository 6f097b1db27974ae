"""Receiving contributions, reviewing them and answering them (inside the caller's write
transaction).

The rules of the object a contribution is about (a project takes contributions only during
its participation phase…) are asked of its type in the registry (``contribution_rule``), so
this service knows none of the features that use it.
"""

from __future__ import annotations

import statistics

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    Float,
    Integer,
    String,
    bindparam,
    case,
    cast,
    distinct,
    extract,
    func,
    literal,
    null,
    select,
    union_all,
)

from ..answers import services as answers
from ..db import utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..notifications.services import notify
from ..registry import registry
from .models import CORE_CHANNELS, FINAL_STATUSES, STATUSES, Contribution, ContributionChannel


def build_channels(plugin_manager) -> dict[str, ContributionChannel]:
    """The core's channels and those plugins register (at app creation)."""
    found = {c.name: c for c in CORE_CHANNELS}
    for _name, result in plugin_manager.call_each(
        "hub_register_contribution_channels", include_disabled=True
    ):
        for channel in result or []:
            if channel.name in found:
                raise RuntimeError(f"contribution channel {channel.name!r} declared twice")
            found[channel.name] = channel
    return found


def channels() -> dict[str, ContributionChannel]:
    """Every channel, by name."""
    return current_app.extensions["hub"].channels


def channel_labels() -> dict[str, object]:
    return {name: channel.label for name, channel in channels().items()}


def _ref(target) -> tuple[str, int]:
    return target if isinstance(target, tuple) else registry().ref(target)


def _check_taken(target, *, channel: str, source, author, entered_by) -> None:
    """Raise the RuleError that says why ``target`` does not take such a contribution now."""
    reg = registry()
    object_type = reg.type_of(target)
    known = channels().get(channel)
    if known is None:
        raise RuleError(_("Unknown channel."))
    source_type = "" if source is None else reg.ref(source)[0]
    if known.source_type and source_type != known.source_type:
        raise RuleError(_("This channel needs the object the contribution comes through."))
    if known.offline and entered_by is None:
        raise RuleError(_("Offline contributions are entered by an agent or a body member."))
    if object_type.contribution_rule is None:
        raise RuleError(_("This cannot receive contributions."))
    object_type.contribution_rule(
        target, channel=channel, source=source, author=author, entered_by=entered_by
    )


def refusal(target, *, channel: str, source=None, author=None, entered_by=None) -> str | None:
    """Why ``target`` would refuse this contribution now, or None when it takes it: a page
    can say so before anyone writes (a workshop whose project is not open yet)."""
    try:
        _check_taken(target, channel=channel, source=source, author=author, entered_by=entered_by)
    except RuleError as refused:
        return str(refused.message)
    return None


def add(
    target,
    text: str,
    *,
    channel: str = "online",
    author=None,
    author_name: str = "",
    neighbourhood_id: int | None = None,
    source=None,
    entered_by=None,
) -> Contribution:
    """Record a contribution about the registered object ``target``.

    Offline channels need the person who enters it (``entered_by``, audited); a channel with
    a source type needs its ``source`` object (the relay, the workshop). The target's type
    decides whether it takes this contribution now (its ``contribution_rule``).
    """
    text = (text or "").strip()
    if not text:
        raise RuleError(_("The contribution is empty."), field="text")
    _check_taken(target, channel=channel, source=source, author=author, entered_by=entered_by)
    reg = registry()
    object_type = reg.type_of(target)
    source_type, source_id = ("", None) if source is None else reg.ref(source)
    if neighbourhood_id is None and author is not None:
        neighbourhood_id = author.neighbourhood_id
    contribution = Contribution(
        target_type=object_type.name,
        target_id=target.id,
        text=text,
        channel=channel,
        author_id=getattr(author, "id", None),
        author_name=author_name,
        neighbourhood_id=neighbourhood_id,
        source_type=source_type,
        source_id=source_id,
        entered_by_id=getattr(entered_by, "id", None),
        created_at=utcnow(),
    )
    db.session.add(contribution)
    db.session.flush()
    emit(
        "contribution.received",
        contribution,
        actor=entered_by or author,
        audit_entry=entered_by is not None,
        channel=channel,
        target=f"{object_type.name}:{target.id}",
    )
    if author is not None and entered_by is None:
        # What a resident wrote online waits for a moderator when contributions are
        # pre-moderated; what the staff entered from paper does not.
        from ..moderation import services as moderation

        moderation.hold(contribution)
    return contribution


def of_target(target, order_unanswered_first: bool = False) -> list[Contribution]:
    target_type, target_id = _ref(target)
    query = select(Contribution).where(
        Contribution.target_type == target_type, Contribution.target_id == target_id
    )
    if order_unanswered_first:
        query = query.order_by(Contribution.answer_id.is_not(None), Contribution.id)
    else:
        query = query.order_by(Contribution.id)
    return list(db.session.scalars(query))


def page_start_before(target, contribution_id: int, size: int) -> int | None:
    """The ``after`` cursor of a page of :func:`page_of_target` that shows the contribution:
    None when the first page does (one bounded query: the ``size``-th id of the target)."""
    target_type, target_id = _ref(target)
    last_of_first = db.session.scalar(
        select(Contribution.id)
        .where(Contribution.target_type == target_type, Contribution.target_id == target_id)
        .order_by(Contribution.id)
        .offset(size - 1)
        .limit(1)
    )
    if last_of_first is None or contribution_id <= last_of_first:
        return None
    return contribution_id - 1


def page_of_target(target, after: str | None, size: int):
    """A page of the target's contributions, oldest first (:func:`hub.paging.id_page`)."""
    from ..paging import id_page

    target_type, target_id = _ref(target)
    query = select(Contribution).where(
        Contribution.target_type == target_type, Contribution.target_id == target_id
    )
    return id_page(db.session, query, Contribution.id, after, size)


def of_source(source) -> list[Contribution]:
    source_type, source_id = _ref(source)
    return list(
        db.session.scalars(
            select(Contribution)
            .where(Contribution.source_type == source_type, Contribution.source_id == source_id)
            .order_by(Contribution.id)
        )
    )


def set_status(contribution: Contribution, status: str, actor) -> None:
    if status not in STATUSES:
        raise RuleError(_("Unknown status."))
    if status in FINAL_STATUSES and contribution.answer_id is None:
        raise RuleError(_("A contribution is retained or not only with a reasoned answer."))
    contribution.status = status
    contribution.status_changed_at = utcnow()
    emit("contribution.status_changed", contribution, actor=actor, status=status)


def answer(
    target,
    contributions: list[Contribution],
    text: str,
    status: str,
    actor,
    *,
    notification_title: str,
    link: str,
):
    """Publish one reasoned answer for one contribution or a group, with their final status,
    and tell their authors."""
    if status not in FINAL_STATUSES:
        raise RuleError(
            _("Choose whether the contributions are retained, partly retained or not retained."),
            field="status",
        )
    if not contributions:
        raise RuleError(_("Choose at least one contribution to answer."), field="contributions")
    target_type, target_id = registry().ref(target)
    if any((c.target_type, c.target_id) != (target_type, target_id) for c in contributions):
        raise RuleError(_("These contributions do not belong to this object."))
    published = answers.publish(
        target, text, actor, outcome=status, contributions=[c.id for c in contributions]
    )
    now = published.created_at
    for contribution in contributions:
        contribution.answer_id = published.id
        contribution.status = status
        contribution.status_changed_at = now
        contribution.answered_at = now
    notify(
        [c.author for c in contributions if c.author is not None],
        notification_title,
        link,
        body=published.text,
        kind="contribution.answer",
    )
    return published


def unanswered_count(target) -> int:
    target_type, target_id = _ref(target)
    return (
        db.session.scalar(
            select(func.count(Contribution.id)).where(
                Contribution.target_type == target_type,
                Contribution.target_id == target_id,
                Contribution.answer_id.is_(None),
            )
        )
        or 0
    )


def counts_by_source(source_type: str, source_ids) -> dict[int, int]:
    ids = list(source_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Contribution.source_id, func.count(Contribution.id))
            .where(Contribution.source_type == source_type, Contribution.source_id.in_(ids))
            .group_by(Contribution.source_id)
        ).all()
    )


def _days_between(start, end):
    """``end - start`` in days, as a float computed by the database."""
    if db.engine.dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return extract("epoch", end - start) / 86400.0


def indicators(target_type: str, target_ids, extra: dict | None = None) -> dict[int, dict]:
    """Public indicators of several objects of one type, in one query whatever the number of
    objects: the groupings (by channel, distinct authors, by neighbourhood, answer delays)
    and the ``extra`` figures are the parts of one ``UNION ALL``. ``extra`` maps a name to a
    function (module-level: the statement is kept per worker under it) of the ids' clause
    that returns ``select(target_id, value)`` grouped by target (e.g. followers)."""
    ids = sorted(set(target_ids))
    result = {
        i: {
            "contributions": 0,
            "answered": 0,
            "participants": 0,
            "by_channel": {name: 0 for name in channels()},
            "by_neighbourhood": [],
            "share_answered": 0.0,
            "median_days_to_answer": None,
        }
        for i in ids
    }
    if not ids:
        return result
    extra = extra or {}
    for name in extra:
        for row in result.values():
            row[name] = 0
    memo_key = (db.engine.dialect.name, target_type, tuple(extra.items()))
    statement = _INDICATORS.get(memo_key)
    if statement is None:
        if len(_INDICATORS) >= 64:
            _INDICATORS.clear()
        statement = _INDICATORS[memo_key] = _indicators_statement(target_type, extra)
    neighbourhoods: dict[int, list[tuple]] = {}
    delays: dict[int, list[float]] = {}
    for kind, target_id, key, key_id, first, second, third, days in db.session.execute(
        statement, {"ids": ids}
    ):
        row = result[target_id]
        if kind == "channel":
            row["contributions"] += first
            row["answered"] += second
            row["participants"] += int(third or 0)
            row["by_channel"][key] = row["by_channel"].get(key, 0) + first
        elif kind == "authors":
            row["participants"] += first
        elif kind == "neighbourhood":
            neighbourhoods.setdefault(target_id, []).append((key_id, key, first))
        elif kind == "delay":
            delays.setdefault(target_id, []).append(float(days))
        else:
            row[kind] = int(first or 0)
    for target_id, found in neighbourhoods.items():
        # Most contributions first, then by name (an unknown neighbourhood, without a name,
        # where the database sorts NULL: first on SQLite, last on PostgreSQL).
        nulls_first = db.engine.dialect.name == "sqlite"
        found.sort(key=lambda f: (-f[2], (f[1] is None) != nulls_first, f[1] or ""))
        result[target_id]["by_neighbourhood"] = [
            {"neighbourhood_id": nid, "name": name, "count": count} for nid, name, count in found
        ]
    for target_id, row in result.items():
        if row["contributions"]:
            row["share_answered"] = round(row["answered"] / row["contributions"], 4)
        if delays.get(target_id):
            row["median_days_to_answer"] = round(statistics.median(delays[target_id]), 1)
    return result


# The statements of indicators(), built once per worker: by engine, type and extra figures.
_INDICATORS: dict = {}


def _indicators_statement(target_type: str, extra: dict):
    from ..territory.models import Neighbourhood

    ids = bindparam("ids", expanding=True)
    base = (Contribution.target_type == target_type, Contribution.target_id.in_(ids))
    no_text, no_int, no_float = cast(null(), String), cast(null(), Integer), cast(null(), Float)

    def part(kind, target_id, key, key_id, first, second, third, days):
        return select(
            literal(kind, String).label("kind"),
            target_id.label("target_id"),
            key.label("key"),
            key_id.label("key_id"),
            first.label("first"),
            second.label("second"),
            third.label("third"),
            days.label("days"),
        )

    parts = [
        part(
            "channel",
            Contribution.target_id,
            Contribution.channel,
            no_int,
            func.count(Contribution.id),
            func.count(Contribution.answer_id),
            func.sum(case((Contribution.author_id.is_(None), 1), else_=0)),
            no_float,
        )
        .where(*base)
        .group_by(Contribution.target_id, Contribution.channel),
        part(
            "authors",
            Contribution.target_id,
            no_text,
            no_int,
            func.count(distinct(Contribution.author_id)),
            no_int,
            no_int,
            no_float,
        )
        .where(*base, Contribution.author_id.is_not(None))
        .group_by(Contribution.target_id),
        part(
            "neighbourhood",
            Contribution.target_id,
            Neighbourhood.name,
            Contribution.neighbourhood_id,
            func.count(Contribution.id),
            no_int,
            no_int,
            no_float,
        )
        .select_from(Contribution)
        .outerjoin(Neighbourhood, Neighbourhood.id == Contribution.neighbourhood_id)
        .where(*base)
        .group_by(Contribution.target_id, Contribution.neighbourhood_id, Neighbourhood.name),
        part(
            "delay",
            Contribution.target_id,
            no_text,
            no_int,
            no_int,
            no_int,
            no_int,
            _days_between(Contribution.created_at, Contribution.answered_at),
        ).where(*base, Contribution.answered_at.is_not(None)),
    ]
    for name, build in extra.items():
        query = build(ids)
        target_id, value = query.selected_columns
        parts.append(
            query.with_only_columns(
                literal(name, String).label("kind"),
                target_id.label("target_id"),
                no_text.label("key"),
                no_int.label("key_id"),
                value.label("first"),
                no_int.label("second"),
                no_int.label("third"),
                no_float.label("days"),
            )
        )
    return select(union_all(*parts).subquery())
