"""Creating, voting, closing and counting express polls (inside the caller's write
transaction, except :func:`vote`, which owns its own so that a concurrent second vote
answers "already voted" instead of an error)."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..db import utcnow, write_transaction
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..registry import registry
from .models import AUDIENCES, KINDS, Poll, PollChoice, PollOption, PollVoter


class AlreadyVoted(RuleError):
    def __init__(self):
        super().__init__(
            _("You have already answered this poll."), status=409, code="already_voted"
        )


def may_create(user, target=None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.can("polls.manage"):
        return True
    return target is not None and registry().type_of(target).allows(user, target, "create_polls")


def create(
    author,
    *,
    question: str,
    options: list[str],
    kind: str = "single",
    audience: str = "verified",
    closes_at: datetime,
    target=None,
    description: str = "",
) -> Poll:
    if not may_create(author, target):
        raise RuleError(_("You may not create a poll here."), status=403)
    question = (question or "").strip()
    if not question:
        raise RuleError(_("Write the question."), field="question")
    labels = []
    for label in options:
        label = (label or "").strip()[:200]
        if label and label not in labels:
            labels.append(label)
    if not 2 <= len(labels) <= 12:
        raise RuleError(_("Give between 2 and 12 different answers."), field="options")
    if kind not in KINDS or audience not in AUDIENCES:
        raise RuleError(_("Unknown kind of poll."), field="kind")
    if closes_at <= utcnow():
        raise RuleError(_("The closing date must be in the future."), field="closes_at")
    target_type, target_id = ("", None) if target is None else registry().ref(target)
    poll = Poll(
        question=question[:300],
        description=(description or "").strip(),
        kind=kind,
        audience=audience,
        target_type=target_type,
        target_id=target_id,
        created_by_id=author.id,
        closes_at=closes_at,
        options=[PollOption(label=label, position=i) for i, label in enumerate(labels)],
    )
    db.session.add(poll)
    db.session.flush()
    emit("poll.created", poll, actor=author, options=len(labels))
    return poll


def may_vote(user, poll: Poll) -> tuple[bool, str]:
    if not poll.is_open():
        return False, _("This poll is closed.")
    if not getattr(user, "is_authenticated", False):
        return False, _("Log in to answer this poll.")
    if not user.email_confirmed:
        return False, _("Confirm your email address to answer this poll.")
    if poll.audience == "verified" and not user.residence_verified:
        return False, _("This poll is open to verified residents: verify your residence first.")
    if has_voted(user, poll):
        return False, _("You have already answered this poll.")
    return True, ""


def has_voted(user, poll: Poll) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(PollVoter, (poll.id, user.id)) is not None


def vote(poll_id: int, user, option_ids: list[int]) -> str:
    """Record one anonymous ballot; the voter row makes a second one impossible, even when two
    arrive at once (one of them answers :class:`AlreadyVoted`). Returns the ballot id."""
    try:
        with write_transaction():
            poll = db.session.get(Poll, poll_id)
            if poll is None:
                raise RuleError(_("No such poll."), status=404)
            allowed, reason = may_vote(user, poll)
            if not allowed:
                if has_voted(user, poll):
                    raise AlreadyVoted()
                raise RuleError(reason, status=403 if poll.is_open() else 422)
            valid = {o.id for o in poll.options}
            chosen = sorted({int(i) for i in option_ids if str(i).isdigit() and int(i) in valid})
            if not chosen:
                raise RuleError(_("Choose an answer."), field="options")
            if poll.kind == "single" and len(chosen) != 1:
                raise RuleError(_("Choose one answer only."), field="options")
            db.session.add(PollVoter(poll_id=poll.id, user_id=user.id))
            db.session.flush()
            ballot = str(uuidlib.uuid4())
            for option_id in chosen:
                db.session.add(PollChoice(poll_id=poll.id, ballot=ballot, option_id=option_id))
            emit("poll.voted", poll, actor=user, audit_entry=False)
    except IntegrityError:
        db.session.rollback()
        raise AlreadyVoted() from None
    return ballot


def close(poll: Poll, actor) -> None:
    if not may_manage(actor, poll):
        raise RuleError(_("You may not close this poll."), status=403)
    if poll.closed_at is None:
        poll.closed_at = utcnow()
        emit("poll.closed", poll, actor=actor)


def may_manage(user, poll: Poll) -> bool:
    """Agents with ``polls.manage``; the poll's creator only while they may still create
    polls there (issue 11, item 8: a creator whose role or membership ended no longer
    manages what they made; the poll passes to the team)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.can("polls.manage"):
        return True
    return poll.created_by_id == user.id and may_create(user, target_of(poll))


def target_of(poll: Poll):
    if not poll.target_type:
        return None
    return registry().load(poll.target_type, poll.target_id)


def results(poll: Poll) -> dict:
    counts = dict(
        db.session.execute(
            select(PollChoice.option_id, func.count(PollChoice.id))
            .where(PollChoice.poll_id == poll.id)
            .group_by(PollChoice.option_id)
        ).all()
    )
    ballots = (
        db.session.scalar(
            select(func.count(func.distinct(PollChoice.ballot))).where(
                PollChoice.poll_id == poll.id
            )
        )
        or 0
    )
    return _results(poll, counts, ballots)


def _results(poll: Poll, counts: dict[int, int], ballots: int) -> dict:
    return {
        "ballots": ballots,
        "options": [
            {
                "id": o.id,
                "label": o.label,
                "votes": counts.get(o.id, 0),
                "share": round(counts.get(o.id, 0) / ballots, 4) if ballots else 0.0,
            }
            for o in poll.options
        ],
    }


def shows_results(user, poll: Poll) -> bool:
    return not poll.is_open() or has_voted(user, poll) or may_manage(user, poll)


def of_target(target) -> list[Poll]:
    """The polls of ``target`` with their options (one query: a page shows both)."""
    target_type, target_id = registry().ref(target)
    return list(
        db.session.scalars(_of_target_query(), {"type": target_type, "id": target_id}).unique()
    )


@cache
def _of_target_query():
    """Built once: every page of a registered object asks for its polls."""
    return (
        select(Poll)
        .where(Poll.target_type == bindparam("type"), Poll.target_id == bindparam("id"))
        .options(joinedload(Poll.options))
        .order_by(Poll.closes_at.desc())
    )


def all_polls() -> list[Poll]:
    return list(db.session.scalars(select(Poll).order_by(Poll.closes_at.desc())))


def closed_results(polls: list[Poll]) -> dict[int, dict]:
    """The results of the closed polls among ``polls``, in two queries for all of them."""
    ids = [p.id for p in polls if not p.is_open()]
    if not ids:
        return {}
    counts: dict[int, dict[int, int]] = {}
    for poll_id, option_id, count in db.session.execute(
        select(PollChoice.poll_id, PollChoice.option_id, func.count(PollChoice.id))
        .where(PollChoice.poll_id.in_(ids))
        .group_by(PollChoice.poll_id, PollChoice.option_id)
    ):
        counts.setdefault(poll_id, {})[option_id] = count
    ballots = dict(
        db.session.execute(
            select(PollChoice.poll_id, func.count(func.distinct(PollChoice.ballot)))
            .where(PollChoice.poll_id.in_(ids))
            .group_by(PollChoice.poll_id)
        ).all()
    )
    return {
        poll.id: _results(poll, counts.get(poll.id, {}), ballots.get(poll.id, 0))
        for poll in polls
        if poll.id in set(ids)
    }


def open_data() -> list[dict]:
    """Every poll as open data: the results of the closed ones (an open poll's results are
    shown only to those who voted, so they are published at the close)."""
    polls = list(
        db.session.scalars(
            select(Poll).options(selectinload(Poll.options)).order_by(Poll.closes_at.desc())
        )
    )
    found = closed_results(polls)
    return [record(p, with_results=False) | _with(found.get(p.id)) for p in polls]


def _with(results_: dict | None) -> dict:
    return {} if results_ is None else {"results": results_}


def record(poll: Poll, with_results: bool) -> dict:
    data = {
        "id": poll.id,
        "uuid": poll.uuid,
        "question": poll.question,
        "kind": poll.kind,
        "audience": poll.audience,
        "target": {"type": poll.target_type, "id": poll.target_id} if poll.target_type else None,
        "closes_at": poll.closes_at.isoformat() + "Z",
        "open": poll.is_open(),
        "options": [{"id": o.id, "label": o.label} for o in poll.options],
    }
    if with_results:
        data["results"] = results(poll)
    return data
