"""The petition workflow: draft → gathering supporters → moderation → open → closed, or
rejected. The commune's official answer does not end a petition: signatures go on until the
deadline, so the next threshold (a debate in the council) can still be reached. Each
threshold has its consequence, with a deadline: an answer due within
``petitions_answer_days``, a debate at a council session within ``petitions_debate_days``.
Views, the API and the demo all go through these functions so that every path applies the
same rules, audit entries and emails. Callers run them in a write transaction."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hub.plugin import (
    SYSTEM,
    RuleError,
    Session,
    Signature,
    User,
    answers,
    audit,
    db,
    emit,
    external_url,
    get_setting,
    local_date,
    local_now,
    local_today,
    mail_person,
    moderation,
    sessions,
    signatures,
    utcnow,
)

from .models import SIGNATURES, SUPPORTERS, Petition

READY_FOR_MODERATION = "ready_for_moderation"
OFFICIAL_ANSWER = "official_answer"
COUNCIL_DEBATE = "council_debate"


def petition_url(petition: Petition) -> str:
    return external_url("petitions.detail", petition_id=petition.id)


def _mail_default_locale(recipient: str, subject_fn, template: str, **context) -> None:
    """Emails go out in the hub's default language: they are not sent from a visitor's request."""
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        mail_person(recipient, subject_fn(), template, topic="petitions", **context)


def create_draft(
    author: User,
    *,
    title: str,
    body: str,
    addressee: str,
    category: str = "",
    neighbourhood_id: int | None = None,
) -> Petition:
    petition = Petition(
        title=title,
        body=body,
        addressee=addressee,
        category=category or "",
        neighbourhood_id=neighbourhood_id,
        author_id=author.id,
        status="draft",
    )
    db.session.add(petition)
    db.session.flush()
    audit("petitions.drafted", petition, actor=author)
    return petition


def start_gathering(petition: Petition) -> None:
    """Open the private supporters' list; with no supporters required, go to moderation."""
    required = int(get_setting("petitions_supporters_required"))
    petition.supporters_token = secrets.token_urlsafe(24)
    if required <= 0:
        submit_for_moderation(petition)
        return
    collection = signatures.create_collection(
        SUPPORTERS,
        petition.id,
        title=petition.title,
        thresholds=[(required, READY_FOR_MODERATION, "Supporters gathered")],
    )
    signatures.open_collection(collection)
    petition.supporters_collection_id = collection.id
    petition.status = "gathering"
    audit("petitions.gathering", petition, supporters_required=required)


def submit_for_moderation(petition: Petition) -> None:
    """Send the petition to its admissibility review (a legal step: competence, duplicate,
    precision…). Reading its text as moderation is the core's pre-moderation, as for every
    resident text: when ``moderation_premoderated`` names petitions, the text waits for a
    moderator too, and the review cannot publish it before (:func:`publication_blocked`)."""
    petition.status = "moderation"
    petition.submitted_at = utcnow()
    if petition.supporters_collection_id:
        signatures.close_collection(
            db.session.get(signatures.SignatureCollection, petition.supporters_collection_id)
        )
    emit("petitions.submitted", petition)
    moderation.hold(petition)


def publication_blocked(petition: Petition, decision=False) -> str | None:
    """Why the admissibility review may not publish the petition now: its text waits for a
    moderator (pre-moderation) or was hidden by moderation; None when it may. ``decision``
    is its moderation decision when the caller has just read it under lock
    (:func:`_lock_for_review`); by default the page's cached one."""
    if decision is False:
        decision = moderation.hidden(petition)
    if decision is None or not decision.hidden:
        return None
    if decision.pending:
        return _("The text waits for a moderator (pre-moderation): publish it once it is read.")
    return _(
        "The text is hidden by moderation (%(reason)s): it cannot be published.",
        reason=decision.reason,
    )


def _lock_for_review(petition: Petition):
    """Take the petition's row, then its moderation decision's (the hub's lock order), read
    both afresh and check it still waits for its admissibility review; returns the decision.

    The page read the petition before the write transaction: another reviewer, or a
    moderator refusing the held text, may have decided since. Under the lock they wait for
    each other, and the second finds the petition decided instead of deciding it again
    (published and rejected, or its author told twice)."""
    decision = moderation.lock(petition)
    if petition.status != "moderation":
        raise RuleError(_("This petition is not waiting for moderation."), status=409)
    return decision


def publish(petition: Petition, moderator: User) -> None:
    """Open signatures until the deadline, with the thresholds and rules set in the settings."""
    blocked = publication_blocked(petition, _lock_for_review(petition))
    if blocked:
        raise RuleError(blocked, status=409)
    now = utcnow()
    petition.status = "open"
    petition.published_at = now
    petition.deadline = now + timedelta(days=int(get_setting("petitions_duration_days")))
    petition.moderated_by_id, petition.moderated_at = moderator.id, now
    collection = signatures.get_collection(SIGNATURES, petition.id)
    if collection is None:
        collection = signatures.create_collection(
            SIGNATURES,
            petition.id,
            title=petition.title,
            url=external_url("petitions.detail", petition_id=petition.id),
            require_verified_resident=bool(get_setting("petitions_residents_only")),
            minimum_age=int(get_setting("petitions_minimum_age")) or None,
            thresholds=[
                (
                    get_setting("petitions_threshold_answer"),
                    OFFICIAL_ANSWER,
                    "Official answer from the commune",
                ),
                (
                    get_setting("petitions_threshold_debate"),
                    COUNCIL_DEBATE,
                    "Debate in the municipal council",
                ),
            ],
        )
    signatures.open_collection(collection, closes_at=petition.deadline)
    petition.collection_id = collection.id
    emit("petitions.published", petition, actor=moderator)
    if petition.author:
        _mail_default_locale(
            petition.author.email,
            lambda: _("Your petition is published"),
            "petitions/email/published.txt",
            petition=petition,
            link=petition_url(petition),
        )


def withholds_text(reason: str) -> bool:
    """Whether a refusal for ``reason`` (personal data, defamation, illegality…) keeps the
    text from the public: only the title, the reason and the date stay shown."""
    return reason in get_setting("petitions_withheld_reasons")


def _record_rejection(petition: Petition, moderator: User, reason: str, comment: str) -> None:
    petition.status = "rejected"
    petition.rejection_reason, petition.rejection_comment = reason, comment
    petition.moderated_by_id, petition.moderated_at = moderator.id, utcnow()
    emit(
        "petitions.rejected",
        petition,
        actor=moderator,
        reason=reason,
        text_withheld=petition.text_withheld,
    )


def reject(petition: Petition, moderator: User, reason: str, comment: str) -> None:
    """The admissibility review refuses the petition; its author gets one email with the
    reason. A hold of the core's pre-moderation ends with it, silently: otherwise the text
    stayed in the moderators' queue and its later approval or refusal told the author a
    second time."""
    _lock_for_review(petition)
    petition.text_withheld = withholds_text(reason)
    _record_rejection(petition, moderator, reason, comment)
    moderation.settle(petition, moderator)
    if petition.author:
        _mail_default_locale(
            petition.author.email,
            lambda: _("Your petition was not published"),
            "petitions/email/rejected.txt",
            petition=petition,
            link=petition_url(petition),
        )


def refused_in_premoderation(petition: Petition, moderator: User, reason: str) -> None:
    """A moderator refused the held text (the core's pre-moderation, ``on_refused``): the
    petition leaves the admissibility queue as rejected, with that reason, its text shown to
    nobody but its author and the moderators. No email: the moderation service already told
    the author, with the way to appeal."""
    if petition.status != "moderation":
        return
    petition.text_withheld = True
    _record_rejection(petition, moderator, reason, "")


def restored_on_appeal(petition: Petition, decision) -> None:
    """A second moderator restored, on appeal, the text refused in pre-moderation: the
    refusal recorded by :func:`refused_in_premoderation` (same moderator, same reason) is
    undone and the petition waits for its admissibility review again."""
    if not (
        petition.status == "rejected"
        and petition.rejection_reason == decision.reason
        and petition.moderated_by_id == decision.moderator_id
    ):
        return
    petition.status = "moderation"
    petition.text_withheld = False
    petition.rejection_reason, petition.rejection_comment = "", ""
    petition.moderated_by_id, petition.moderated_at = None, None
    emit("petitions.submitted", petition, actor=SYSTEM, restored_on_appeal=True)


def may_be_answered(petition: Petition) -> bool:
    return petition.current_status() in ("open", "closed") and petition.answer_id is None


def check_answer(petition: Petition, text: str) -> None:
    """The rules of :func:`answer`, checked before its confirmation page too."""
    if petition.answer_id is not None:
        raise RuleError(_("This petition already has its official answer."), status=409)
    if petition.current_status() not in ("open", "closed"):
        raise RuleError(_("Only an open or closed petition can be answered."), status=409)
    if len((text or "").strip()) < answers.MIN_REASON_LENGTH:
        raise RuleError(
            _(
                "An answer needs a reasoned text (at least %(n)d characters).",
                n=answers.MIN_REASON_LENGTH,
            ),
            field="text",
        )


def answer(petition: Petition, official: User, text: str) -> int:
    """Publish the commune's answer (a core reasoned answer) and email every signer; returns
    how many. Signatures stay open until the deadline: the answer does not end the petition.
    Refused (``RuleError`` on ``text``) when the text gives no reasons."""
    check_answer(petition, text)
    published = answers.publish(petition, text, official)
    petition.answer_id, petition.answered_at = published.id, published.created_at
    petition.official_answer = published
    recipients = _signer_emails(petition)
    link = petition_url(petition)
    for email in recipients:
        _mail_default_locale(
            email,
            lambda: _("The commune answered the petition “%(title)s”", title=petition.title),
            "petitions/email/answered.txt",
            petition=petition,
            link=link,
        )
    emit(
        "petitions.answered",
        petition,
        actor=official,
        notified=len(recipients),
        days_late=_days_late(petition.answer_due_on),
    )
    return len(recipients)


def correct_answer(petition: Petition, official: User, text: str, note: str):
    """Correct the published answer: the earlier text stays readable on the petition's page,
    dated, with ``note`` saying what changed and why. Signers are not emailed again."""
    if petition.official_answer is None:
        raise RuleError(_("This petition has no official answer to correct."), status=409)
    corrected = answers.correct(petition.official_answer, text, official, note=note)
    emit("petitions.answer_corrected", petition, actor=official, answer=corrected.id)
    return corrected


def _days_late(due_on: date | None) -> int:
    return max((local_today() - due_on).days, 0) if due_on else 0


def _signer_emails(petition: Petition) -> list[str]:
    """The valid signers' addresses, and the author's."""
    recipients = db.session.scalars(
        select(User.email)
        .join(Signature, Signature.user_id == User.id)
        .where(
            Signature.collection_id == petition.collection_id,
            Signature.invalidated_at.is_(None),
            User.deleted_at.is_(None),
        )
    ).all()
    if petition.author and petition.author.email not in recipients:
        recipients.append(petition.author.email)
    return list(recipients)


def on_threshold(collection, threshold) -> None:
    """React to the core's thresholds on this plugin's collections (see plugin.py)."""
    petition = db.session.get(Petition, collection.object_id)
    if petition is None:
        return
    if collection.object_type == SUPPORTERS and threshold.action == READY_FOR_MODERATION:
        if petition.status == "gathering":
            submit_for_moderation(petition)
        return
    if collection.object_type != SIGNATURES:
        return
    reached = local_date(threshold.fired_at or utcnow())
    if threshold.action == OFFICIAL_ANSWER and petition.answer_due_on is None:
        petition.answer_due_on = reached + timedelta(days=int(get_setting("petitions_answer_days")))
        audit(
            "petitions.answer_due",
            petition,
            actor=SYSTEM,
            due_on=petition.answer_due_on.isoformat(),
        )
    elif threshold.action == COUNCIL_DEBATE and petition.debate_due_on is None:
        petition.debate_due_on = reached + timedelta(days=int(get_setting("petitions_debate_days")))
        audit(
            "petitions.debate_due",
            petition,
            actor=SYSTEM,
            due_on=petition.debate_due_on.isoformat(),
        )
    if petition.author is None:
        return
    template = {
        OFFICIAL_ANSWER: "petitions/email/threshold_answer.txt",
        COUNCIL_DEBATE: "petitions/email/threshold_debate.txt",
    }.get(threshold.action)
    if template:
        _mail_default_locale(
            petition.author.email,
            lambda: _("Your petition reached %(count)d signatures", count=threshold.count),
            template,
            petition=petition,
            threshold=threshold,
            link=petition_url(petition),
        )


def close_expired(now: datetime | None = None) -> list[Petition]:
    """Record as closed every open petition whose deadline has passed (the caller commits).

    Residents already see such a petition as closed and the collection refuses
    signatures from its deadline on; this makes the stored status, the open data and
    the audit log say so too. Running it again changes nothing.
    """
    now = now or utcnow()
    expired = db.session.scalars(
        select(Petition).where(
            Petition.status == "open", Petition.deadline.is_not(None), Petition.deadline <= now
        )
    ).all()
    for petition in expired:
        petition.status = "closed"
        if petition.collection:
            signatures.close_collection(petition.collection)
        emit(
            "petitions.closed_at_deadline",
            petition,
            actor=SYSTEM,
            signatures=petition.collection.total if petition.collection else 0,
        )
    return expired


# --- The council's debate ------------------------------------------------------------------------

COUNCILS = {"metropole": "metropole"}  # any other addressee: the municipal council


def council_of(petition: Petition) -> str:
    return COUNCILS.get(petition.addressee, "municipal")


def council_session(council: str, starts_at: datetime, place: str, agent: User) -> Session:
    """The council's core session at that time, shared with the council's other business
    (interpellations use the same ``council_<name>`` sessions), or a new one."""
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        title = _("Métropole council") if council == "metropole" else _("Municipal council")
    return sessions.shared_session(
        f"council_{council}", starts_at, title=title, place=place, actor=agent
    )


def schedule_debate(
    petition: Petition,
    agent: User,
    *,
    starts_at: datetime,
    place: str,
    held: bool = False,
    minutes_url: str = "",
) -> Session:
    """Say at which council session the petition is debated (it shows in the agenda), and,
    once it took place, record it (with the minutes' link): that ends the deadline."""
    if petition.debate_due_on is None:
        raise RuleError(
            _("This petition has not reached the threshold of a council debate."), status=409
        )
    if petition.debated_on is not None:
        raise RuleError(_("The debate is already recorded."), status=409)
    if held and starts_at > local_now():
        raise RuleError(
            _("A debate cannot be recorded as held before its date."), field="starts_at"
        )
    session = council_session(council_of(petition), starts_at, place, agent)
    if petition.debate_session_id != session.id:
        petition.debate_session_id = session.id
        with force_locale(current_app.config["DEFAULT_LOCALE"]):
            line = "- " + _("Petition: %(title)s", title=petition.title)
        if line not in (session.description or "").splitlines():
            session.description = "\n".join(filter(None, [session.description, line]))
        emit(
            "petitions.debate_scheduled",
            petition,
            actor=agent,
            session=session.id,
            starts_at=starts_at.isoformat(),
        )
    if held:
        petition.debated_on = starts_at.date()
        petition.debate_minutes_url = minutes_url or ""
        emit(
            "petitions.debated",
            petition,
            actor=agent,
            session=session.id,
            days_late=max((petition.debated_on - petition.debate_due_on).days, 0),
        )
        if petition.author:
            _mail_default_locale(
                petition.author.email,
                lambda: _("The council debated the petition “%(title)s”", title=petition.title),
                "petitions/email/debated.txt",
                petition=petition,
                link=petition_url(petition),
            )
    return session


# --- Withheld texts ------------------------------------------------------------------------------


def purge_withheld(now: datetime | None = None) -> list[Petition]:
    """Erase the text of petitions refused for personal data, defamation or illegality once
    the retention period is over (the title, reason and date stay). Idempotent."""
    now = now or utcnow()
    limit = now - timedelta(days=int(get_setting("petitions_withheld_retention_days")))
    rows = db.session.scalars(
        select(Petition).where(
            Petition.text_withheld.is_(True),
            Petition.text_purged_at.is_(None),
            Petition.moderated_at <= limit,
        )
    ).all()
    for petition in rows:
        petition.body = ""
        petition.text_purged_at = now
        emit("petitions.text_purged", petition, actor=SYSTEM)
    return rows
