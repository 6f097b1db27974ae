"""Posting, editing and listing comments, and closing discussions (inside the caller's
write transaction).

Whether an object takes comments, who may reply officially or close its discussion, and
when its phase closes the discussion are asked of its type in the registry, so this
service knows none of the features that use it.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, literal, select
from sqlalchemy.orm import joinedload

from ..db import utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..follows import services as follows
from ..moderation import services as moderation
from ..notifications.services import notify
from ..registry import registry
from ..settings import get_setting
from .models import MAX_LENGTH, Comment, CommentThread


def _ref(target) -> tuple[str, int]:
    return target if isinstance(target, tuple) else registry().ref(target)


def enabled(target) -> bool:
    """Whether the object's type opted in to comments."""
    object_type = registry().find_model(type(target))
    return object_type is not None and object_type.comments


def thread(target) -> CommentThread | None:
    """The thread's row (only discussions closed once have one). A missing row is
    remembered for the request: a page asks several times (form, list, close button)."""
    key = _ref(target)
    missing = g.setdefault("hub_missing_threads", set()) if has_request_context() else set()
    if key in missing:
        return None
    row = db.session.get(CommentThread, key)
    if row is None:
        missing.add(key)
    return row


def closed_reason(target) -> str | None:
    """Why the discussion of ``target`` takes no new comment now, as a sentence shown alone
    (each says that the discussion is closed), or None while it is open."""
    row = thread(target)
    if row is not None and row.closed_at is not None:
        if row.reason:
            return _("The discussion is closed: %(reason)s", reason=row.reason)
        return _("The discussion is closed.")
    if moderation.enabled(target) and moderation.hidden(target) is not None:
        return _("The text is hidden by moderation: the discussion is closed.")
    object_type = registry().type_of(target)
    if object_type.comments_closed is not None:
        reason = object_type.comments_closed(target)
        if reason:
            return str(reason)
    return None


def may_comment(user, target) -> tuple[bool, str]:
    """Whether ``user`` may comment on ``target`` now, and why not."""
    if not enabled(target):
        return False, _("This cannot be discussed.")
    reason = closed_reason(target)
    if reason:
        return False, reason
    if not getattr(user, "is_authenticated", False):
        return False, _("Log in to take part in the discussion.")
    if not user.email_confirmed:
        return False, _("Confirm your email address to take part in the discussion.")
    return True, ""


def may_reply_officially(user, target) -> bool:
    return registry().type_of(target).allows(user, target, "comment_officially")


def may_close(user, target) -> bool:
    return registry().type_of(target).allows(user, target, "close_comments")


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise RuleError(_("The comment is empty."), field="body")
    if len(body) > MAX_LENGTH:
        raise RuleError(
            _("A comment has at most %(num)d characters.", num=MAX_LENGTH), field="body"
        )
    return body


def _check_rate(author) -> None:
    """At most ``comments_rate_limit`` comments per author in ten minutes (every worker
    counts the same rows, so the limit holds across processes)."""
    limit = get_setting("comments_rate_limit")
    since = utcnow() - timedelta(minutes=10)
    recent = db.session.scalar(
        select(func.count(Comment.id)).where(
            Comment.author_id == author.id, Comment.created_at >= since
        )
    )
    if recent >= limit:
        raise RuleError(
            _("You have posted many comments in a short time; please wait a few minutes."),
            field="body",
            status=429,
            code="rate_limited",
        )


def hidden_parent_message() -> str:
    """Why a hidden comment takes no reply (said by the service and the reply page)."""
    return _("This comment is hidden by moderation: it takes no reply.")


def post(target, body: str, author, *, parent: Comment | None = None, official=False) -> Comment:
    """Add a comment (or a reply to ``parent``) on ``target`` by ``author``."""
    allowed, reason = may_comment(author, target)
    if not allowed:
        raise RuleError(
            reason, status=403 if enabled(target) and not closed_reason(target) else 422
        )
    object_type = registry().type_of(target)
    if official and not may_reply_officially(author, target):
        raise RuleError(_("Only the people in charge may reply officially."), status=403)
    body = _clean(body)
    if parent is not None:
        if (parent.target_type, parent.target_id) != (object_type.name, target.id):
            raise RuleError(_("This reply belongs to another discussion."), field="body")
        # Neither the comment answered nor, for a reply to a reply, its thread's first
        # comment may be hidden (one query: the hidden comments are read once per request).
        if moderation.hidden(parent) is not None:
            raise RuleError(hidden_parent_message(), field="body")
        if parent.parent_id is not None:  # one level: a reply to a reply joins its thread
            parent = db.session.get(Comment, parent.parent_id)
            if moderation.hidden(parent) is not None:
                raise RuleError(hidden_parent_message(), field="body")
    _check_rate(author)
    comment = Comment(
        target_type=object_type.name,
        target_id=target.id,
        parent_id=parent.id if parent is not None else None,
        author_id=author.id,
        body=body,
        official=bool(official),
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    emit(
        "comment.posted",
        comment,
        actor=author,
        target=f"{object_type.name}:{target.id}",
        reply=parent is not None,
        official=comment.official,
    )
    # Pre-moderated: nobody is told of a text that is not shown yet (they are told when a
    # moderator approves it: :func:`published`).
    if comment.official or moderation.hold(comment) is None:
        _tell(target, object_type, comment, parent, author)
    return comment


def published(comment: Comment) -> None:
    """A comment held for pre-moderation is approved: tell whom :func:`post` would have told."""
    reg = registry()
    target = reg.load(comment.target_type, comment.target_id)
    if target is None or comment.author is None:
        return
    parent = db.session.get(Comment, comment.parent_id) if comment.parent_id else None
    _tell(target, reg.type_of(target), comment, parent, comment.author)


def _tell(target, object_type, comment, parent, author) -> None:
    from ..accounts.models import User

    link = discussion_url(target) + f"#comment-{comment.id}"
    title = object_type.title(target)
    direct = []
    if parent is not None and parent.author is not None:
        direct.append(parent.author)
    # Who answers for the object: its author (a petition's, a contribution's…), a project's
    # owner, a workshop's facilitators (``ObjectType.comment_recipients``).
    for user_id in object_type.answerers(target):
        if all(u.id != user_id for u in direct):
            direct.append(db.session.get(User, user_id))
    direct = [u for u in direct if u is not None and u.id != author.id and u.deleted_at is None]
    notify(
        direct,
        _("New reply in the discussion: %(title)s", title=title)
        if parent is not None
        else _("New comment on %(title)s", title=title),
        link,
        body=comment.body,
        kind="comment.posted",
    )
    told = {u.id for u in direct} | {author.id}
    notify(
        [u for u in follows.followers(target) if u.id not in told],
        _("New comment on %(title)s", title=title),
        link,
        body=comment.body,
        kind="comment.posted",
        email=False,
    )


def edit_deadline(comment: Comment):
    return comment.created_at + timedelta(minutes=get_setting("comments_edit_minutes"))


def may_edit(user, comment: Comment) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and comment.author_id == user.id
        and utcnow() <= edit_deadline(comment)
    )


def edit(comment: Comment, body: str, user) -> Comment:
    if comment.author_id != getattr(user, "id", None):
        raise RuleError(_("Only its author may change a comment."), status=403)
    if utcnow() > edit_deadline(comment):
        raise RuleError(
            _(
                "A comment can be changed for %(num)d minutes after it is posted.",
                num=get_setting("comments_edit_minutes"),
            ),
            field="body",
        )
    comment.body = _clean(body)
    comment.edited_at = utcnow()
    emit("comment.edited", comment, actor=user)
    return comment


def of_target(target) -> list[Comment]:
    """Every comment on ``target``, oldest first (replies included). The discussion's
    thread row (closed or not) comes in the same statement and is kept for the request:
    the page's :func:`thread` and :func:`closed_reason` then read nothing."""
    target_type, target_id = _ref(target)
    rows = db.session.execute(_of_target_query(), {"type": target_type, "id": target_id}).all()
    if rows and rows[0][0] is None and has_request_context():
        g.setdefault("hub_missing_threads", set()).add((target_type, target_id))
    return [comment for _thread, comment in rows if comment is not None]


@lru_cache(maxsize=1)
def _of_target_query():
    """Built once: every page with a discussion reads it (with its thread's row, from a
    one-row anchor so that a discussion without comments still gives it)."""
    from ..accounts.models import User

    anchor = select(literal(1).label("one")).subquery()
    return (
        select(CommentThread, Comment)
        .select_from(anchor)
        .outerjoin(
            CommentThread,
            and_(
                CommentThread.target_type == bindparam("type"),
                CommentThread.target_id == bindparam("id"),
            ),
        )
        .outerjoin(
            Comment,
            and_(Comment.target_type == bindparam("type"), Comment.target_id == bindparam("id")),
        )
        .order_by(Comment.id)
        # A comment shows its author's name only: not their neighbourhood and commune,
        # which User joins by default (two more entities per comment, for nothing).
        .options(joinedload(Comment.author).lazyload(User.neighbourhood))
    )


def page_of_target(target, after: str | None, size: int):
    """A page of ``target``'s comments oldest first, the ``size`` after the comment id
    ``after`` (:func:`hub.paging.id_page`): what the JSON API reads."""
    from ..paging import id_page

    target_type, target_id = _ref(target)
    query = select(Comment).where(
        Comment.target_type == target_type, Comment.target_id == target_id
    )
    return id_page(db.session, query, Comment.id, after, size)


def threaded(comments: list[Comment]) -> list[tuple[Comment, list[Comment]]]:
    """Top-level comments, each with its replies."""
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [(c, replies.get(c.id, [])) for c in comments if c.parent_id is None]


def counts(target_type: str, target_ids) -> dict[int, int]:
    ids = sorted(set(target_ids))
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Comment.target_id, func.count(Comment.id))
            .where(Comment.target_type == target_type, Comment.target_id.in_(ids))
            .group_by(Comment.target_id)
        ).all()
    )


def close(target, actor, reason: str = "") -> None:
    if not may_close(actor, target):
        raise RuleError(_("Only the people in charge may close this discussion."), status=403)
    target_type, target_id = _ref(target)
    row = db.session.get(CommentThread, (target_type, target_id))
    if row is None:
        row = CommentThread(target_type=target_type, target_id=target_id)
        db.session.add(row)
        if has_request_context():
            g.pop("hub_missing_threads", None)
    row.closed_at = utcnow()
    row.closed_by_id = actor.id
    row.reason = (reason or "").strip()[:1000]
    emit("comment.thread_closed", target, actor=actor)


def reopen(target, actor) -> None:
    if not may_close(actor, target):
        raise RuleError(_("Only the people in charge may reopen this discussion."), status=403)
    row = thread(target)
    if row is not None and row.closed_at is not None:
        row.closed_at = None
        row.reason = ""
        emit("comment.thread_reopened", target, actor=actor)


def record(comment: Comment) -> dict:
    """A comment as open data (no personal data beyond the public display name); a hidden
    one keeps only the public reason of moderation."""
    decision = moderation.hidden(comment)
    if decision is not None:
        return {
            "id": comment.id,
            "uuid": comment.uuid,
            "parent_id": comment.parent_id,
            "hidden": True,
            "moderation_reason": decision.reason,
            "created_at": comment.created_at.isoformat() + "Z",
        }
    return {
        "id": comment.id,
        "uuid": comment.uuid,
        "parent_id": comment.parent_id,
        "author": comment.shown_author,
        "official": comment.official,
        "hidden": False,
        "body": comment.body,
        "created_at": comment.created_at.isoformat() + "Z",
        "edited_at": comment.edited_at.isoformat() + "Z" if comment.edited_at else None,
    }


def discussion_url(target) -> str:
    """Where the discussion of ``target`` is shown: its own page, or the discussion's page
    for an object shown inside another's page (a project's contribution)."""
    from flask import url_for

    object_type = registry().type_of(target)
    if object_type.url_of is not None:
        return url_for("comments.thread", target_type=object_type.name, target_id=target.id)
    return object_type.url(target)


def comment_url(comment: Comment, target=None) -> str:
    """The comment inside the discussion of its object."""
    reg = registry()
    target = target if target is not None else reg.load(comment.target_type, comment.target_id)
    return discussion_url(target) + f"#comment-{comment.id}"
