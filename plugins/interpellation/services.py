"""The interpellation workflow. Every transition is here, audited, with its emails:

forming (committee) → review (filed) → inadmissible | collecting → expired | scheduled
(threshold reached: on the council's agenda queue) → answered.

Views, the API, the CLI and the demo go through these functions. The committee and the
signatures are two collections of the core signature service: the core fires each
threshold exactly once, in the transaction of the signature that reaches it, and calls
:func:`on_threshold` from there (see plugin.py).
"""

from __future__ import annotations

import calendar
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hub.plugin import (
    SYSTEM,
    RuleError,
    Session,
    Signature,
    SignatureCollection,
    User,
    answers,
    db,
    emit,
    external_url,
    for_update,
    get_setting,
    mail_person,
    moderation,
    sessions,
    signatures,
    utcnow,
    write_transaction,
)

from . import threshold as thresholds
from .models import (
    COMMITTEE,
    COMMITTEE_FORMED,
    COUNCIL_AGENDA,
    COUNCIL_LABELS,
    SIGNATURES,
    STAGE_LABELS,
    Interpellation,
)


class TransitionError(RuleError):
    """A transition that the interpellation's stage does not allow (409: someone else acted
    first, or the page was out of date)."""

    status = 409
    code = "wrong_stage"

    def __init__(self, stage: str):
        super().__init__(
            _(
                "This interpellation is no longer at this stage (it is now: "
                "%(stage)s). Reload the page to see what changed.",
                stage=STAGE_LABELS.get(stage, stage),
            )
        )
        self.stage = stage


# --- Dates ---------------------------------------------------------------------------------------


def local_today(now: datetime | None = None) -> date:
    """Today in the hub's time zone (deadlines are dates of the commune's calendar)."""
    moment = (now or utcnow()).replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 Jan + 1 month: 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


# --- Emails --------------------------------------------------------------------------------------


def interpellation_url(interpellation: Interpellation) -> str:
    return external_url("interpellation.detail", interpellation_id=interpellation.id)


def _emails_of(collection_id: int | None) -> list[str]:
    if collection_id is None:
        return []
    return list(
        db.session.scalars(
            select(User.email)
            .join(Signature, Signature.user_id == User.id)
            .where(
                Signature.collection_id == collection_id,
                Signature.invalidated_at.is_(None),
                User.deleted_at.is_(None),
            )
            .order_by(Signature.id)
        )
    )


def committee_emails(interpellation: Interpellation) -> list[str]:
    emails = _emails_of(interpellation.committee_collection_id)
    if (
        interpellation.author
        and interpellation.author.deleted_at is None
        and interpellation.author.email not in emails
    ):
        emails.insert(0, interpellation.author.email)
    return emails


def _notify(recipients, subject_fn, template: str, interpellation: Interpellation) -> int:
    """Queue one email per distinct recipient, in the hub's default language."""
    link = interpellation_url(interpellation)
    seen = set()
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        for email in recipients:
            if email in seen:
                continue
            seen.add(email)
            mail_person(
                email,
                subject_fn(),
                template,
                topic="interpellation",
                interpellation=interpellation,
                link=link,
            )
    return len(seen)


# --- Filing --------------------------------------------------------------------------------------


def create(
    author: User, *, title: str, body: str, kind: str, council: str, competence: str
) -> Interpellation:
    """Start an interpellation and its committee; the author is its first member.

    Runs its own transactions (the author's membership goes through the core service).
    """
    size = int(get_setting("interpellation_committee_size"))
    with write_transaction():
        interpellation = Interpellation(
            title=title,
            body=body,
            kind=kind,
            council=council,
            competence=competence,
            author_id=author.id,
            stage="forming",
            committee_token=secrets.token_urlsafe(24),
        )
        db.session.add(interpellation)
        db.session.flush()
        committee = signatures.create_collection(
            COMMITTEE,
            interpellation.id,
            title=title,
            url=external_url("interpellation.detail", interpellation_id=interpellation.id),
            require_verified_resident=True,
            thresholds=[(size, COMMITTEE_FORMED, "Committee formed")],
        )
        signatures.open_collection(committee)
        interpellation.committee_collection_id = committee.id
        emit(
            "interpellation.created",
            interpellation,
            actor=author,
            committee_size=size,
            council=council,
            competence=competence,
        )
        moderation.hold(interpellation)  # waits for a moderator when pre-moderated
    join_committee(interpellation, author)
    db.session.expire_all()
    return db.session.get(Interpellation, interpellation.id)


def join_committee(interpellation: Interpellation, user: User, ip: str = "") -> None:
    """Add ``user`` to the committee (raises :class:`signatures.SigningError` when refused).
    The membership that completes the committee files the interpellation (core threshold)."""
    if interpellation.stage != "forming" or interpellation.committee_collection_id is None:
        raise signatures.NotOpen("closed", _("The committee of this interpellation is complete."))
    signatures.sign(interpellation.committee_collection_id, user, public_name=True, ip=ip)


def file(interpellation: Interpellation) -> None:
    """The committee is complete: the interpellation is filed and its review is due."""
    now = utcnow()
    interpellation.stage = "review"
    interpellation.filed_at = now
    interpellation.review_due_on = local_today(now) + timedelta(
        days=int(get_setting("interpellation_review_days"))
    )
    if interpellation.committee is not None:
        signatures.close_collection(interpellation.committee)
    emit(
        "interpellation.filed",
        interpellation,
        actor=SYSTEM,
        committee=interpellation.committee_count,
        review_due_on=interpellation.review_due_on.isoformat(),
    )
    _notify(
        committee_emails(interpellation),
        lambda: _("Your interpellation is filed: “%(title)s”", title=interpellation.title),
        "interpellation/email/filed.txt",
        interpellation,
    )


# --- Admissibility -------------------------------------------------------------------------------


def current_threshold() -> thresholds.Threshold:
    """The threshold the settings give now (raises :class:`threshold.ThresholdError`)."""
    return thresholds.compute(
        str(get_setting("interpellation_threshold")), int(get_setting("population") or 0)
    )


def _lock_for_review(interpellation: Interpellation):
    """Take the interpellation's row, then its moderation decision's (the hub's lock order),
    read both afresh and check it still waits for its admissibility review; returns the
    decision. The page read it before the write transaction: another agent, or a moderator
    refusing the held text, may have decided since; under the lock they wait for each other
    and the second finds it decided instead of deciding it again."""
    decision = moderation.lock(interpellation)
    if interpellation.stage != "review":
        raise TransitionError(interpellation.stage)
    return decision


def declare_admissible(interpellation: Interpellation, agent: User) -> None:
    """Open signatures for the configured period, with the threshold frozen as of now.
    The caller runs it in a write transaction; raises ThresholdError if the setting is bad."""
    decision = _lock_for_review(interpellation)
    # Signatures open on a text the public reads: never one a moderator has not read yet
    # (pre-moderation) or has hidden.
    if decision is not None and decision.hidden:
        raise RuleError(
            _("The text waits for a moderator (pre-moderation): declare it admissible once read.")
            if decision.pending
            else _("The text is hidden by moderation: it cannot be declared admissible."),
            field="decision",
            status=409,
        )
    rule = current_threshold()
    now = utcnow()
    closes_at = now + timedelta(days=int(get_setting("interpellation_signature_days")))
    collection = signatures.create_collection(
        SIGNATURES,
        interpellation.id,
        title=interpellation.title,
        url=interpellation_url(interpellation),
        require_verified_resident=True,
        minimum_age=int(get_setting("interpellation_minimum_age")) or None,
        thresholds=[(rule.count, COUNCIL_AGENDA, "Council agenda")],
    )
    signatures.open_collection(collection, closes_at=closes_at)
    interpellation.collection_id = collection.id
    interpellation.stage = "collecting"
    interpellation.threshold, interpellation.threshold_rule = rule.count, rule.describe()
    interpellation.population = rule.population or None
    interpellation.signatures_open_at, interpellation.signatures_close_at = now, closes_at
    interpellation.reviewed_at, interpellation.reviewed_by_id = now, agent.id
    emit(
        "interpellation.admissible",
        interpellation,
        actor=agent,
        threshold=rule.count,
        rule=rule.describe(),
        population=rule.population,
        closes_at=closes_at.isoformat(),
    )
    _notify(
        committee_emails(interpellation),
        lambda: _("Your interpellation is admissible: signatures are open"),
        "interpellation/email/admissible.txt",
        interpellation,
    )


def declare_inadmissible(interpellation: Interpellation, agent: User, reason: str) -> None:
    """The admissibility review refuses the interpellation; its committee gets one email with
    the reason. A hold of the core's pre-moderation ends with it, silently, the text never
    published (no moderator read it): otherwise the moderators' later approval or refusal
    told the author a second time, or published a refused text."""
    _lock_for_review(interpellation)
    interpellation.stage = "inadmissible"
    interpellation.inadmissibility_reason = reason
    interpellation.reviewed_at, interpellation.reviewed_by_id = utcnow(), agent.id
    emit("interpellation.inadmissible", interpellation, actor=agent, reason=reason)
    moderation.settle(interpellation, agent)
    _notify(
        committee_emails(interpellation),
        lambda: _("Your interpellation was declared inadmissible"),
        "interpellation/email/inadmissible.txt",
        interpellation,
    )


def refused_in_premoderation(interpellation: Interpellation, moderator: User, reason: str) -> None:
    """A moderator refused the held text (the core's pre-moderation, ``on_refused``): its
    admissibility review ends with it, as inadmissible for that reason, whether its committee
    was still forming (the committee closes) or it waited for the review. No email: the
    moderation service already told the author, with the way to appeal."""
    if interpellation.stage not in ("forming", "review"):
        return
    if interpellation.stage == "forming" and interpellation.committee is not None:
        signatures.close_collection(interpellation.committee)
    interpellation.stage = "inadmissible"
    interpellation.inadmissibility_reason = reason
    interpellation.reviewed_at, interpellation.reviewed_by_id = utcnow(), moderator.id
    emit(
        "interpellation.inadmissible",
        interpellation,
        actor=moderator,
        reason=reason,
        by_moderation=True,
    )


def restored_on_appeal(interpellation: Interpellation, decision) -> None:
    """A second moderator restored, on appeal, the text refused in pre-moderation: the
    refusal recorded by :func:`refused_in_premoderation` (same moderator, same reason) is
    undone: a filed interpellation waits for its admissibility review again, one whose
    committee was forming forms it again."""
    if not (
        interpellation.stage == "inadmissible"
        and interpellation.inadmissibility_reason == decision.reason
        and interpellation.reviewed_by_id == decision.moderator_id
    ):
        return
    if interpellation.filed_at is None:
        interpellation.stage = "forming"
        if interpellation.committee is not None:
            signatures.open_collection(interpellation.committee)
    else:
        interpellation.stage = "review"
    interpellation.inadmissibility_reason = ""
    interpellation.reviewed_at, interpellation.reviewed_by_id = None, None
    if interpellation.filed_at is not None:
        emit("interpellation.filed", interpellation, actor=SYSTEM, restored_on_appeal=True)


# --- Threshold reached ---------------------------------------------------------------------------


def on_threshold(collection: SignatureCollection, threshold) -> None:
    """Called by the core, once per threshold, inside the signing transaction (row locked)."""
    interpellation = db.session.get(Interpellation, collection.object_id)
    if interpellation is None:
        return
    if collection.object_type == COMMITTEE and threshold.action == COMMITTEE_FORMED:
        if interpellation.stage == "forming":
            file(interpellation)
    elif collection.object_type == SIGNATURES and threshold.action == COUNCIL_AGENDA:
        if interpellation.stage == "collecting":
            place_on_agenda(interpellation, collection)


def place_on_agenda(interpellation: Interpellation, collection: SignatureCollection) -> None:
    """The threshold is reached: the council must take it up by the deadline. Signatures
    close here: the count transmitted to the council is the one that reached the threshold."""
    now = utcnow()
    interpellation.stage = "scheduled"
    interpellation.reached_at = now
    interpellation.council_due_on = add_months(
        local_today(now), int(get_setting("interpellation_council_months"))
    )
    signatures.close_collection(collection)
    emit(
        "interpellation.placed_on_agenda",
        interpellation,
        actor=SYSTEM,
        signatures=collection.total,
        threshold=interpellation.threshold,
        council_due_on=interpellation.council_due_on.isoformat(),
    )
    recipients = committee_emails(interpellation) + _emails_of(collection.id)
    _notify(
        recipients,
        lambda: _("The interpellation “%(title)s” goes to the council", title=interpellation.title),
        "interpellation/email/scheduled.txt",
        interpellation,
    )


# --- Signature period over -----------------------------------------------------------------------


def close_expired(now: datetime | None = None) -> list[Interpellation]:
    """Close every interpellation whose signature period ended below the threshold, keeping
    its final count. Idempotent; the same rule as :meth:`Interpellation.current_stage`."""
    now = now or utcnow()
    closed = []
    with write_transaction():
        candidates = db.session.scalars(
            select(Interpellation.id)
            .where(Interpellation.stage == "collecting", Interpellation.signatures_close_at <= now)
            .order_by(Interpellation.id)
        ).all()
        for interpellation_id in candidates:
            interpellation = db.session.get(Interpellation, interpellation_id)
            # Lock the collection as signers do, then read the stage again: a signature that
            # reached the threshold just before the end has moved it on.
            collection = db.session.scalar(
                for_update(
                    select(SignatureCollection).where(
                        SignatureCollection.id == interpellation.collection_id
                    )
                ).execution_options(populate_existing=True)
            )
            db.session.refresh(interpellation)
            if interpellation.stage != "collecting":
                continue
            interpellation.stage = "expired"
            interpellation.expired_at = interpellation.signatures_close_at
            interpellation.final_count = collection.total if collection else 0
            if collection is not None:
                signatures.close_collection(collection)
            emit(
                "interpellation.expired",
                interpellation,
                actor=SYSTEM,
                final_count=interpellation.final_count,
                threshold=interpellation.threshold,
            )
            _notify(
                committee_emails(interpellation),
                lambda: _("Signatures are closed: the threshold was not reached"),
                "interpellation/email/expired.txt",
                interpellation,
            )
            closed.append(interpellation)
    return closed


# --- The council ---------------------------------------------------------------------------------


def schedule_session(
    interpellation: Interpellation, agent: User, *, starts_at: datetime, place: str
) -> Session:
    """Say at which council session the interpellation will be taken up (shown in the agenda)."""
    if interpellation.stage != "scheduled":
        raise TransitionError(interpellation.stage)
    session = _session_for(interpellation, starts_at, place, agent)
    emit(
        "interpellation.session_planned",
        interpellation,
        actor=agent,
        session=session.id,
        starts_at=starts_at.isoformat(),
    )
    return session


def _session_for(interpellation: Interpellation, starts_at: datetime, place: str, agent) -> Session:
    """The council's core session at that time (several interpellations share one), or a new
    one; the interpellation is attached to it and listed in its description."""
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        title = _("%(council)s: interpellations", council=COUNCIL_LABELS[interpellation.council])
    session = sessions.shared_session(
        f"council_{interpellation.council}", starts_at, title=title, place=place, actor=agent
    )
    if interpellation.session_id != session.id:
        interpellation.session_id = session.id
        line = f"- {interpellation.title}"
        if line not in session.description.splitlines():
            session.description = "\n".join(filter(None, [session.description, line]))
    return session


def votes_text(votes) -> str:
    """A vote as kept in the erratum trail: for / against / abstentions, or empty."""
    return "" if all(v is None for v in votes) else " / ".join(str(v or 0) for v in votes)


def correct_answer(
    interpellation: Interpellation,
    agent: User,
    *,
    minutes_url: str,
    outcome: str,
    deliberation: str,
    votes: tuple[int | None, int | None, int | None],
    answer: str,
    note: str,
):
    """Correct the published answer (its text, the outcome, the vote, the deliberation, the
    minutes' link): what it said before stays readable on the page, dated, with ``note``
    saying what changed and why. The committee and signers are not emailed again."""
    written = interpellation.written_answer
    if interpellation.stage != "answered" or written is None:
        raise RuleError(_("This interpellation has no answer to correct."), status=409)
    before = (
        interpellation.votes_for,
        interpellation.votes_against,
        interpellation.votes_abstaining,
    )
    try:
        answers.correct(
            written,
            answer,
            agent,
            outcome=outcome,
            note=note,
            also={
                "votes": (votes_text(before), votes_text(votes)),
                "deliberation": (interpellation.deliberation, deliberation),
                "minutes_url": (interpellation.minutes_url, minutes_url),
            },
        )
    except RuleError as exc:
        if exc.field != "text":
            raise
        raise RuleError(exc.message, field="answer") from exc
    interpellation.outcome, interpellation.deliberation = outcome, deliberation
    interpellation.votes_for, interpellation.votes_against, interpellation.votes_abstaining = votes
    interpellation.minutes_url = minutes_url
    emit("interpellation.answer_corrected", interpellation, actor=agent, answer=written.id)
    return written


def check_answer(interpellation: Interpellation) -> None:
    """The rules of :func:`record_answer`, checked before its confirmation page too."""
    if interpellation.stage != "scheduled":
        raise TransitionError(interpellation.stage)


def record_answer(
    interpellation: Interpellation,
    agent: User,
    *,
    starts_at: datetime,
    place: str,
    minutes_url: str,
    outcome: str,
    deliberation: str,
    votes: tuple[int | None, int | None, int | None],
    answer: str,
) -> int:
    """Record the council session and the written answer; notify the committee and every
    signer. Returns how many people were notified."""
    check_answer(interpellation)
    session = _session_for(interpellation, starts_at, place, agent)
    interpellation.minutes_url = minutes_url
    if minutes_url and not session.minutes:
        with force_locale(current_app.config["DEFAULT_LOCALE"]):
            session.minutes = f"[{_('Minutes of the session')}]({minutes_url})"
    now = utcnow()
    interpellation.stage = "answered"
    interpellation.outcome, interpellation.deliberation = outcome, deliberation
    interpellation.votes_for, interpellation.votes_against, interpellation.votes_abstaining = votes
    written = answers.publish(interpellation, answer, agent, outcome=outcome)
    interpellation.answer_id, interpellation.written_answer = written.id, written
    interpellation.answered_at = now
    interpellation.answered_on = starts_at.date()
    recipients = committee_emails(interpellation) + _emails_of(interpellation.collection_id)
    db.session.flush()
    db.session.refresh(interpellation)
    notified = _notify(
        recipients,
        lambda: _(
            "The council answered the interpellation “%(title)s”", title=interpellation.title
        ),
        "interpellation/email/answered.txt",
        interpellation,
    )
    emit(
        "interpellation.answered",
        interpellation,
        actor=agent,
        session=session.id,
        outcome=outcome,
        votes=list(votes),
        notified=notified,
        days_late=interpellation.days_late(),
    )
    return notified
