"""The petition workflow: draft → gathering supporters → moderation → open → closed/answered,
or rejected. Views, the API and the demo all go through these functions so that every path
applies the same rules, audit entries and emails. Callers run them in a write transaction."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hub.plugin import (
    Signature,
    User,
    audit,
    db,
    external_url,
    get_setting,
    queue_mail,
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
        queue_mail(recipient, subject_fn(), template, **context)


def create_draft(author: User, *, title: str, body: str, addressee: str, category: str = "",
                 neighbourhood_id: int | None = None) -> Petition:
    petition = Petition(title=title, body=body, addressee=addressee, category=category or "",
                        neighbourhood_id=neighbourhood_id, author_id=author.id, status="draft")
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
        SUPPORTERS, petition.id, title=petition.title,
        thresholds=[(required, READY_FOR_MODERATION, "Supporters gathered")])
    signatures.open_collection(collection)
    petition.supporters_collection_id = collection.id
    petition.status = "gathering"
    audit("petitions.gathering", petition, supporters_required=required)


def submit_for_moderation(petition: Petition) -> None:
    petition.status = "moderation"
    petition.submitted_at = utcnow()
    if petition.supporters_collection_id:
        signatures.close_collection(db.session.get(
            signatures.SignatureCollection, petition.supporters_collection_id))
    audit("petitions.submitted", petition)


def publish(petition: Petition, moderator: User) -> None:
    """Open signatures until the deadline, with the thresholds and rules set in the settings."""
    now = utcnow()
    petition.status = "open"
    petition.published_at = now
    petition.deadline = now + timedelta(days=int(get_setting("petitions_duration_days")))
    petition.moderated_by_id, petition.moderated_at = moderator.id, now
    collection = signatures.get_collection(SIGNATURES, petition.id)
    if collection is None:
        collection = signatures.create_collection(
            SIGNATURES, petition.id, title=petition.title,
            url=external_url("petitions.detail", petition_id=petition.id),
            require_verified_resident=bool(get_setting("petitions_residents_only")),
            minimum_age=int(get_setting("petitions_minimum_age")) or None,
            thresholds=[
                (get_setting("petitions_threshold_answer"), OFFICIAL_ANSWER,
                 "Official answer from the commune"),
                (get_setting("petitions_threshold_debate"), COUNCIL_DEBATE,
                 "Debate in the municipal council"),
            ])
    signatures.open_collection(collection, closes_at=petition.deadline)
    petition.collection_id = collection.id
    audit("petitions.published", petition, actor=moderator)
    if petition.author:
        _mail_default_locale(petition.author.email, lambda: _("Your petition is published"),
                             "petitions/email/published.txt", petition=petition,
                             link=petition_url(petition))


def reject(petition: Petition, moderator: User, reason: str, comment: str) -> None:
    petition.status = "rejected"
    petition.rejection_reason, petition.rejection_comment = reason, comment
    petition.moderated_by_id, petition.moderated_at = moderator.id, utcnow()
    audit("petitions.rejected", petition, actor=moderator, reason=reason)
    if petition.author:
        _mail_default_locale(petition.author.email, lambda: _("Your petition was not published"),
                             "petitions/email/rejected.txt", petition=petition,
                             link=petition_url(petition))


def answer(petition: Petition, official: User, text: str) -> int:
    """Publish the commune's answer, close signatures and email every signer; returns how many."""
    petition.status = "answered"
    petition.answer, petition.answered_at, petition.answered_by_id = text, utcnow(), official.id
    if petition.collection:
        signatures.close_collection(petition.collection)
    recipients = db.session.scalars(
        select(User.email).join(Signature, Signature.user_id == User.id)
        .where(Signature.collection_id == petition.collection_id,
               Signature.invalidated_at.is_(None), User.deleted_at.is_(None))).all()
    if petition.author and petition.author.email not in recipients:
        recipients.append(petition.author.email)
    link = petition_url(petition)
    for email in recipients:
        _mail_default_locale(email, lambda: _("The commune answered the petition “%(title)s”",
                                              title=petition.title),
                             "petitions/email/answered.txt", petition=petition, link=link)
    audit("petitions.answered", petition, actor=official, notified=len(recipients))
    return len(recipients)


def on_threshold(collection, threshold) -> None:
    """React to the core's thresholds on this plugin's collections (see plugin.py)."""
    petition = db.session.get(Petition, collection.object_id)
    if petition is None:
        return
    if collection.object_type == SUPPORTERS and threshold.action == READY_FOR_MODERATION:
        if petition.status == "gathering":
            submit_for_moderation(petition)
        return
    if collection.object_type != SIGNATURES or petition.author is None:
        return
    template = {OFFICIAL_ANSWER: "petitions/email/threshold_answer.txt",
                COUNCIL_DEBATE: "petitions/email/threshold_debate.txt"}.get(threshold.action)
    if template:
        _mail_default_locale(petition.author.email,
                             lambda: _("Your petition reached %(count)d signatures",
                                       count=threshold.count),
                             template, petition=petition, threshold=threshold,
                             link=petition_url(petition))


def close_expired(now: datetime | None = None) -> list[Petition]:
    """Record as closed every open petition whose deadline has passed (the caller commits).

    Residents already see such a petition as closed and the collection refuses
    signatures from its deadline on; this makes the stored status, the open data and
    the audit log say so too. Running it again changes nothing.
    """
    now = now or utcnow()
    expired = db.session.scalars(select(Petition).where(
        Petition.status == "open", Petition.deadline.is_not(None),
        Petition.deadline <= now)).all()
    for petition in expired:
        petition.status = "closed"
        if petition.collection:
            signatures.close_collection(petition.collection)
        audit("petitions.closed_at_deadline", petition,
                     signatures=petition.collection.total if petition.collection else 0)
    return expired
