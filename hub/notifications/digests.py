"""Digest emails, sent by ``hub worker`` (job ``notifications.digests``, hourly):

- the staff's daily digest of their work queue (what is overdue, what is due within a week),
  from ``DIGEST_HOUR`` in the morning, to staff who did not turn it off (topic
  ``staff_digest``);
- the daily and weekly digests of the notifications people chose to receive that way (the
  weekly one on Mondays);
- on Mondays, "what happened near you": the week's news of the person's neighbourhood (what
  the core and plugins report through ``hub_neighbourhood_news``), to residents who set their
  neighbourhood and did not stop it (topic ``near_you``).

Each digest is recorded in ``digest_sent`` (person, kind, day) in the transaction that queues
it: a second worker, or the next run, cannot send it twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import workqueue
from ..accounts.models import User, UserRole
from ..db import utcnow, write_transaction
from ..extensions import db
from ..timeutil import local_now
from .models import DigestSent, Notification
from .services import ALL_TOPICS, channels_for, mail_to

DIGEST_HOUR = 7
STAFF_ROLES = ("agent", "elected", "moderator", "admin")
SOON_DAYS = 7


def _locale(user) -> str:
    locales = current_app.config["LOCALES"]
    return user.locale if user.locale in locales else current_app.config["DEFAULT_LOCALE"]


def _claim(user, kind: str, period: date) -> bool:
    """Record the digest (inside the caller's transaction); False if already sent."""
    if db.session.get(DigestSent, (user.id, kind, period)) is not None:
        return False
    db.session.add(DigestSent(user_id=user.id, kind=kind, period=period))
    db.session.flush()
    return True


def _once(user, kind: str, period: date, send) -> bool:
    """Run ``send`` in one transaction with the record of the digest; skip it when another
    worker got there first (the primary key refuses the second record)."""
    try:
        with write_transaction():
            if not _claim(user, kind, period):
                return False
            return bool(send())
    except IntegrityError:
        db.session.rollback()
        return False


def staff_digest(user, today: date) -> bool:
    """Queue the user's daily work-queue digest if anything is overdue or due soon."""
    queue = workqueue.items_for_roles(user, workqueue.collect(user))
    items = queue.items
    overdue = [i for i in items if i.is_overdue(today)]
    soon = [
        i
        for i in items
        if not i.is_overdue(today) and i.due is not None and i.due <= today + timedelta(SOON_DAYS)
    ]
    if not overdue and not soon:
        return False
    with force_locale(_locale(user)):
        mail_to(
            user,
            _(
                "To do today: %(overdue)d overdue, %(soon)d due this week",
                overdue=queue.overdue,
                soon=len(soon),
            ),
            "notifications/email/staff_digest.txt",
            topic="staff_digest",
            overdue=overdue,
            soon=soon,
            total=queue.total,
            overdue_total=queue.overdue,
            today=today,
            base_url=(current_app.config.get("BASE_URL") or "").rstrip("/"),
        )
    return True


def notification_digest(user, kind: str) -> bool:
    """Queue the digest of the user's notifications waiting for it (``daily``/``weekly``)."""
    rows = db.session.scalars(
        select(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.digest == kind,
            Notification.sent_in_digest_at.is_(None),
        )
        .order_by(Notification.id)
    ).all()
    if not rows:
        return False
    now = utcnow()
    for row in rows:
        row.sent_in_digest_at = now
    with force_locale(_locale(user)):
        subject = (
            ngettext(
                "Your daily digest: %(num)d notification",
                "Your daily digest: %(num)d notifications",
                len(rows),
            )
            if kind == "daily"
            else ngettext(
                "Your weekly digest: %(num)d notification",
                "Your weekly digest: %(num)d notifications",
                len(rows),
            )
        )
        mail_to(
            user,
            subject,
            "notifications/email/digest.txt",
            topic=ALL_TOPICS,
            notifications=rows,
            base_url=(current_app.config.get("BASE_URL") or "").rstrip("/"),
        )
    return True


def neighbourhood_news(neighbourhood_ids, since: datetime, until: datetime) -> dict:
    """``{neighbourhood id: [NeighbourhoodNews, …]}``, newest first, from every enabled
    feature, its titles in the current locale (callers wrap it in ``force_locale``)."""
    news: dict[int, list] = {}
    hook = current_app.extensions["hub"].plugins.hook("hub_neighbourhood_news")
    for items in hook(neighbourhood_ids=list(neighbourhood_ids), since=since, until=until):
        for item in items or []:
            news.setdefault(item.neighbourhood_id, []).append(item)
    for items in news.values():
        items.sort(key=lambda i: i.date or since, reverse=True)
    return news


def near_you_digest(user, items, neighbourhood_name: str) -> bool:
    with force_locale(_locale(user)):
        mail_to(
            user,
            ngettext(
                "Near you in %(place)s this week: %(num)d piece of news",
                "Near you in %(place)s this week: %(num)d pieces of news",
                len(items),
                place=neighbourhood_name,
            ),
            "notifications/email/near_you.txt",
            topic="near_you",
            items=items,
            place=neighbourhood_name,
            base_url=(current_app.config.get("BASE_URL") or "").rstrip("/"),
        )
    return True


def send_near_you(today: date) -> int:
    """The weekly "near you" emails: the news of each neighbourhood gathered once, then one
    email per resident of a neighbourhood with news who did not stop them."""
    from ..territory.models import Neighbourhood

    until = datetime.combine(today, datetime.min.time())
    since = until - timedelta(days=7)
    residents = db.session.execute(
        select(User.id, User.neighbourhood_id, User.locale).where(
            User.neighbourhood_id.is_not(None),
            User.email_confirmed_at.is_not(None),
            User.deleted_at.is_(None),
        )
    ).all()
    if not residents:
        return 0
    # The news' titles are written in each resident's language: gathered once per language
    # the residents read (never in whatever language the worker or request happens to use).
    locales = current_app.config["LOCALES"]
    default = current_app.config["DEFAULT_LOCALE"]
    residents = [(u, n, loc if loc in locales else default) for u, n, loc in residents]
    news: dict[str, dict] = {}
    for locale in sorted({loc for _u, _n, loc in residents}):
        with force_locale(locale):
            news[locale] = neighbourhood_news(
                {n for _u, n, loc in residents if loc == locale}, since, until
            )
    with_news = {n for by_place in news.values() for n in by_place}
    names = (
        dict(
            db.session.execute(
                select(Neighbourhood.id, Neighbourhood.name).where(
                    Neighbourhood.id.in_(list(with_news))
                )
            ).all()
        )
        if with_news
        else {}
    )
    wants = channels_for([u for u, n, _l in residents if n in with_news], "near_you")
    sent = 0
    for user_id, neighbourhood_id, locale in residents:
        if neighbourhood_id not in news[locale] or wants.get(user_id) in ("hub", "never"):
            continue
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            continue
        items = news[locale][neighbourhood_id]
        name = names.get(neighbourhood_id, "")
        if _once(user, "near_you", today, lambda u=user, i=items, n=name: near_you_digest(u, i, n)):
            sent += 1
    return sent


def send_digests(now: datetime | None = None) -> str:
    """The job: every digest due at ``now`` (the hub's local time)."""
    now = now or local_now()
    today = now.date()
    if now.hour < DIGEST_HOUR:
        return "before the digest hour"
    sent = {"staff": 0, "daily": 0, "weekly": 0, "near you": 0}
    staff_ids = sorted(
        set(db.session.scalars(select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))))
    )
    wants = channels_for(staff_ids, "staff_digest")
    for user_id in staff_ids:
        user = db.session.get(User, user_id)
        if (
            user is None
            or not user.is_active
            or not user.email_confirmed
            or wants[user_id] == "never"
        ):
            continue
        if _once(user, "staff", today, lambda u=user: staff_digest(u, today)):
            sent["staff"] += 1
    kinds = ["daily"] + (["weekly"] if today.weekday() == 0 else [])
    for kind in kinds:
        user_ids = sorted(
            set(
                db.session.scalars(
                    select(Notification.user_id).where(
                        Notification.digest == kind, Notification.sent_in_digest_at.is_(None)
                    )
                )
            )
        )
        for user_id in user_ids:
            user = db.session.get(User, user_id)
            if user is None or not user.is_active:
                continue
            if _once(user, kind, today, lambda u=user, k=kind: notification_digest(u, k)):
                sent[kind] += 1
    if today.weekday() == 0:
        sent["near you"] = send_near_you(today)
    return ", ".join(f"{count} {kind}" for kind, count in sent.items())
