"""Authorisation rules of moderation (collected by tests/authz_rules.py with the core's
table): reports by confirmed accounts other than the author, the queue and hiding by
moderators, the appeal by the author only, its decision by another moderator."""

from __future__ import annotations

from authz_rules import CONFIRMED, PERSONAS, World, everyone, only, roles, world_setup


@world_setup
def moderation_world(w: World) -> None:
    """Comments of the author: one to report, one hidden and not appealed yet, one hidden
    and appealed (hidden by a moderator who has since left, so any moderator decides)."""
    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.comments.models import Comment
    from hub.db import utcnow
    from hub.extensions import db
    from hub.moderation.models import Decision

    author = db.session.scalar(select(User).where(User.email == PERSONAS["author"]))
    rows = [
        Comment(target_type="project", target_id=w.project_id, author_id=author.id, body=text)
        for text in ("À signaler", "Masqué", "Masqué et contesté", "En attente")
    ]
    db.session.add_all(rows)
    db.session.flush()
    hidden = Decision(
        target_type="comment", target_id=rows[1].id, reason="Insulte", author_id=author.id
    )
    appealed = Decision(
        target_type="comment",
        target_id=rows[2].id,
        reason="Insulte",
        author_id=author.id,
        appeal_text="Je conteste.",
        appealed_at=utcnow(),
    )
    pending = Decision(
        target_type="comment",
        target_id=rows[3].id,
        reason="",
        pending=True,
        author_id=author.id,
    )
    db.session.add_all([hidden, appealed, pending])
    db.session.commit()
    w.pending_comment_id = rows[3].id
    w.reportable_comment_id = rows[0].id
    w.hidden_decision_id, w.appealed_decision_id = hidden.id, appealed.id


_reportable = {"values": lambda w: {"target_type": "comment", "target_id": w.reportable_comment_id}}

RULES = {
    "moderation.report": [
        roles(
            *(CONFIRMED - {"author"}),
            **_reportable,
            note="confirmed accounts, never the author of the text",
        )
    ],
    "moderation.queue": roles("moderator"),
    "moderation.hide": roles("moderator", **_reportable, note="empty reason: 422"),
    "moderation.keep": roles(
        "moderator", **_reportable, post_ok={200}, note="a POST answers the confirmation page"
    ),
    "moderation.approve": roles(
        "moderator",
        values=lambda w: {"target_type": "comment", "target_id": w.pending_comment_id},
        post_probe=False,
        note="publishes a text held for pre-moderation",
    ),
    "moderation.appeal": only(
        "author",
        values=lambda w: {"decision_id": w.hidden_decision_id},
        note="the author of the hidden text only, not even an admin",
    ),
    "moderation.decide_appeal": roles(
        "moderator", values=lambda w: {"decision_id": w.appealed_decision_id}
    ),
    "moderation.charter": everyone(),
    "moderation.decisions": roles("moderator"),
}
