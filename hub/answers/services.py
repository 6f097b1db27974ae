"""Publishing and reading reasoned answers (inside the caller's write transaction)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import Text, and_, bindparam, cast, select, tuple_

from .. import audit
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..registry import registry
from ..slots import list_query
from .models import Answer

MIN_REASON_LENGTH = 20


def publish(
    target,
    text: str,
    author,
    *,
    outcome: str = "",
    min_length: int = MIN_REASON_LENGTH,
    **event_data,
) -> Answer:
    """Publish ``author``'s reasoned answer to the registered object ``target``.

    Refused (:class:`hub.errors.RuleError` on the field ``text``) when the text is shorter
    than ``min_length`` characters: an answer gives its reasons.
    """
    text = (text or "").strip()
    if len(text) < min_length:
        raise RuleError(
            _("An answer needs a reasoned text (at least %(n)d characters).", n=min_length),
            field="text",
        )
    target_type, target_id = registry().ref(target)
    answer = Answer(
        target_type=target_type,
        target_id=target_id,
        text=text,
        outcome=outcome,
        author_id=getattr(author, "id", None),
    )
    db.session.add(answer)
    db.session.flush()
    emit(
        "answer.published",
        answer,
        actor=author,
        target=f"{target_type}:{target_id}",
        outcome=outcome,
        **event_data,
    )
    return answer


def answers_for(target) -> list[Answer]:
    """The answers to ``target``, oldest first."""
    target_type, target_id = registry().ref(target)
    return list(
        db.session.scalars(
            select(Answer)
            .where(Answer.target_type == target_type, Answer.target_id == target_id)
            .order_by(Answer.created_at, Answer.id)
        )
    )


def latest_for(target) -> Answer | None:
    answers = answers_for(target)
    return answers[-1] if answers else None


def latest_by_target(target_type: str, target_ids) -> dict[int, Answer]:
    """The latest answer of each of several objects of one type (one query)."""
    ids = sorted(set(target_ids))
    if not ids:
        return {}
    latest: dict[int, Answer] = {}
    for answer in db.session.scalars(
        select(Answer)
        .where(tuple_(Answer.target_type, Answer.target_id).in_([(target_type, i) for i in ids]))
        .order_by(Answer.created_at, Answer.id)
    ):
        latest[answer.target_id] = answer
    return latest


def correct(
    answer: Answer,
    text: str,
    actor,
    *,
    outcome: str | None = None,
    note: str = "",
    also=None,
    min_length: int = MIN_REASON_LENGTH,
) -> Answer:
    """Correct a published answer in place, keeping what it said before in the audit log
    (``answer.corrected``, with the previous text and outcome): :func:`corrections` reads it
    back, so the public page shows every earlier version with its date.

    ``note`` says publicly what was corrected and why (an erratum). ``also`` maps the owner's
    own fields published with the answer (a vote, a deliberation) to their ``(before, after)``
    values: those that change count as a correction and their earlier values are kept in
    ``previous`` (the owner writes the new ones itself). ``changed`` lists what changed:
    ``text``, ``outcome`` and the names of ``also``.
    """
    text = (text or "").strip()
    if len(text) < min_length:
        raise RuleError(
            _("An answer needs a reasoned text (at least %(n)d characters).", n=min_length),
            field="text",
        )
    new_outcome = answer.outcome if outcome is None else outcome
    changed = [
        name
        for name, differs in (
            ("text", text != answer.text),
            ("outcome", new_outcome != answer.outcome),
        )
        if differs
    ]
    previous = {name: before for name, (before, after) in (also or {}).items() if before != after}
    changed += list(previous)
    if not changed:
        raise RuleError(_("The correction changes nothing."), field="text")
    audit.record(
        "answer.corrected",
        answer,
        actor=actor,
        previous_text=answer.text,
        previous_outcome=answer.outcome,
        outcome=new_outcome,
        note=(note or "").strip(),
        changed=changed,
        previous=previous,
    )
    answer.text = text
    answer.outcome = new_outcome
    return answer


def corrections(answer_ids) -> dict[int, list]:
    """The corrections of each answer, oldest first: audit entries whose ``details`` hold the
    text and outcome the answer had before (``created_at`` is when it changed)."""
    ids = sorted({int(i) for i in answer_ids})
    if not ids:
        return {}
    found: dict[int, list] = {}
    for entry in db.session.scalars(
        select(audit.AuditEntry)
        .where(_corrections_of(ids))
        .order_by(audit.AuditEntry.created_at, audit.AuditEntry.id)
    ):
        found.setdefault(int(entry.object_id), []).append(entry)
    return found


def _corrections_of(ids):
    return and_(
        audit.AuditEntry.action == "answer.corrected",
        audit.AuditEntry.object_type == Answer.__tablename__,
        audit.AuditEntry.object_id.in_([str(i) for i in ids]),
    )


def corrections_query(answer_ids):
    """``(query, order_by, params)`` of :func:`corrections` as columns (``object_id``,
    ``created_at``, the details as JSON text), for a page that reads it with its other lists
    (``hub.slots.read_lists``); :func:`corrections_from` makes the same result of its rows.
    The query is built once per worker (the ids are its parameters)."""
    return (*_corrections_query(), {"answer_ids": sorted({str(int(i)) for i in answer_ids})})


@list_query
def _corrections_query():
    query = select(
        audit.AuditEntry.object_id,
        audit.AuditEntry.created_at,
        cast(audit.AuditEntry.details, Text).label("details_json"),
    ).where(
        audit.AuditEntry.action == "answer.corrected",
        audit.AuditEntry.object_type == Answer.__tablename__,
        audit.AuditEntry.object_id.in_(bindparam("answer_ids", expanding=True)),
    )
    return query, (audit.AuditEntry.created_at, audit.AuditEntry.id)


def corrections_from(rows) -> dict[int, list]:
    """:func:`corrections` from the rows of :func:`corrections_query`: entries with
    ``created_at`` and ``details``."""
    found: dict[int, list] = {}
    for row in rows:
        entry = SimpleNamespace(created_at=row.created_at, details=json.loads(row.details_json))
        found.setdefault(int(row.object_id), []).append(entry)
    return found
