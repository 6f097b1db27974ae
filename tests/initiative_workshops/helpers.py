"""Helpers of the citizen-initiative tests: settings, residents, walking an initiative to a state."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.accounts.models import ApiToken, User
from hub.audit import AuditEntry
from hub.events import OutboxEvent
from hub.extensions import db
from hub.notifications.models import Notification
from plugins.initiative_workshops import services
from plugins.initiative_workshops.models import Initiative

SUMMARY = (
    "Transformer la friche de la rue des Lilas en jardin partagé, avec des bacs "
    "accessibles en fauteuil et un composteur de quartier."
)


def configure(app, **values):
    """Plugin or site settings: ``members_neighbourhood=3`` →
    ``initiative_workshops_members_neighbourhood``; ``population`` is the site setting."""
    with app.app_context():
        registry = app.extensions["hub"].settings
        for key, value in values.items():
            registry.set(key if key == "population" else f"initiative_workshops_{key}", value)
        db.session.commit()


def residents(make_user, count, prefix="habitant", **fields) -> list[int]:
    return [
        make_user(f"{prefix}{i:02d}@example.org", verified=True, **fields) for i in range(count)
    ]


def propose(
    app, author_id, title="Un jardin partagé rue des Lilas", neighbourhood_ids=(), **fields
) -> int:
    with app.test_request_context("/"):
        item = services.propose(
            db.session.get(User, author_id),
            title=title,
            summary=fields.pop("summary", SUMMARY),
            neighbourhood_ids=neighbourhood_ids,
            **fields,
        )
        return item.id


def join(app, item_id, user_id):
    with app.test_request_context("/"):
        return services.join(item_id, db.session.get(User, user_id)).state


def leave(app, item_id, user_id):
    with app.test_request_context("/"):
        return services.leave(item_id, db.session.get(User, user_id)).state


def call(app, function, item_id, user_id, *args, **kwargs):
    """``services.function(item_id, user, ...)`` in a request context."""
    with app.test_request_context("/"):
        return getattr(services, function)(item_id, db.session.get(User, user_id), *args, **kwargs)


def constituted(
    app, make_user, members=3, neighbourhood_ids=(), prefix="habitant", **settings
) -> tuple[int, list]:
    """A constituted initiative: ``(item_id, [author, member, ...])``."""
    configure(app, members_neighbourhood=members, members_commune=members, **settings)
    people = residents(make_user, members, prefix=prefix)
    item_id = propose(app, people[0], neighbourhood_ids=neighbourhood_ids)
    for user_id in people[1:]:
        join(app, item_id, user_id)
    assert load(app, item_id).state == "constituted"
    return item_id, people


def submitted(app, make_user, members=3, **settings) -> tuple[int, list]:
    item_id, people = constituted(app, make_user, members, **settings)
    call(app, "submit", item_id, people[0])
    return item_id, people


def load(app, item_id) -> Initiative:
    with app.app_context():
        item = db.session.get(Initiative, item_id)
        for name in ("author", "facilitator", "collection", "answer", "project", "decided_by"):
            getattr(item, name)
        item.neighbourhoods  # noqa: B018 - loaded before leaving the session
        db.session.expunge_all()
        return item


def audit_count(app, action) -> int:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))
            or 0
        )


def events(app, name) -> list[OutboxEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id)
        ).all()
        db.session.expunge_all()
        return rows


def notifications(app, kind) -> list[tuple[int, str, str]]:
    """``(user_id, title, body)`` of the notifications of ``kind``."""
    with app.app_context():
        return [
            tuple(r)
            for r in db.session.execute(
                select(Notification.user_id, Notification.title, Notification.body)
                .where(Notification.kind == kind)
                .order_by(Notification.id)
            ).all()
        ]


def token(app, user_id) -> str:
    with app.app_context():
        _row, clear = ApiToken.issue(db.session.get(User, user_id), "tests")
        db.session.commit()
        return clear


def bearer(app, user_id) -> dict:
    return {"Authorization": f"Bearer {token(app, user_id)}"}


def picture(colour=(90, 160, 70), size=(900, 600)) -> bytes:
    """A JPEG the core images service accepts (wide enough to be a cover)."""
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()
