"""Reporting, hiding, keeping, appealing, and pre-moderation (inside the caller's write
transaction).

Which objects can be reported, their page, title and author are asked of their type in the
registry, so this service knows none of the features that use it. A page that shows
resident-written text asks :func:`hidden` (one query per type and request) and shows the
public reason instead of the text.

Pre-moderation is one setting for every feature (``moderation_premoderated``: the plugins,
or object types, whose residents' texts wait for a moderator): a feature calls
:func:`hold` right after a resident wrote something, and the text stays hidden until a
moderator approves it (:func:`approve`) or hides it with a public reason (:func:`hide`).
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, not_, or_, select
from sqlalchemy.orm import QueryableAttribute

from ..db import for_update, utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..notifications.services import notify
from ..registry import registry
from ..settings import get_setting
from .models import REASONS, Decision, Report


def _ref(target) -> tuple[str, int]:
    return target if isinstance(target, tuple) else registry().ref(target)


def enabled(target) -> bool:
    object_type = registry().find_model(type(target))
    return object_type is not None and object_type.moderation


def is_moderator(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.can("moderate")


def _author_id(target) -> int | None:
    return registry().type_of(target).author_id(target)


def decision_of(target) -> Decision | None:
    target_type, target_id = _ref(target)
    return db.session.scalar(
        select(Decision).where(Decision.target_type == target_type, Decision.target_id == target_id)
    )


def lock(target) -> Decision | None:
    """Lock ``target``'s row, then its moderation decision's, and read both afresh; returns
    the decision (None when there is none). Call it inside the write transaction.

    This is the hub's one lock order for moderated texts: **the object first, then its
    decision** (docs/architecture.md). Every moderation write here starts with it (approve,
    settle, resume, hide, keep, an appeal's decision), and a feature's review that reads its
    object's state and then settles or resumes its hold calls it before reading that state:
    a moderator's approval and a review's refusal then wait for each other instead of each
    acting on what it read before the other wrote (a refused text published), and no two
    writers take the two rows in opposite orders (a deadlock on PostgreSQL). On SQLite the
    write transaction's ``BEGIN IMMEDIATE`` already serialises writers; both rows are read
    afresh all the same."""
    model = registry().type_of(target).model
    db.session.scalar(
        for_update(select(model).where(model.id == target.id)).execution_options(
            populate_existing=True
        )
    )
    target_type, target_id = _ref(target)
    return db.session.scalar(
        for_update(
            select(Decision).where(
                Decision.target_type == target_type, Decision.target_id == target_id
            )
        ).execution_options(populate_existing=True)
    )


def _lock_decision(decision: Decision) -> None:
    """Lock an appeal's decision (its object first when it still exists) and read it afresh."""
    target = registry().load(decision.target_type, decision.target_id)
    if target is not None:
        lock(target)
        return
    db.session.scalar(
        for_update(select(Decision).where(Decision.id == decision.id)).execution_options(
            populate_existing=True
        )
    )


def hidden_decisions(target_type: str) -> dict[int, Decision]:
    """The hidden objects of one type (cached for the request: one query per type)."""
    cache = g.setdefault("hub_hidden", {}) if has_request_context() else {}
    if target_type not in cache:
        prefetch_hidden([target_type], cache)
    return cache[target_type]


def prefetch_hidden(target_types, cache: dict | None = None) -> None:
    """Load the hidden objects of several types in one query, for a page that shows them all
    (a project's contributions and the comments of its discussion)."""
    if cache is None:
        cache = g.setdefault("hub_hidden", {}) if has_request_context() else {}
    wanted = sorted(set(target_types) - set(cache))
    if not wanted:
        return
    for name in wanted:
        cache[name] = {}
    for decision in db.session.scalars(_hidden_query(), {"types": wanted}):
        cache[decision.target_type][decision.target_id] = decision


@lru_cache(maxsize=1)
def _hidden_query():
    """Built once: every page showing residents' texts asks for it."""
    return select(Decision).where(
        Decision.target_type.in_(bindparam("types", expanding=True)), Decision.hidden
    )


def hidden(target) -> Decision | None:
    """The decision hiding ``target``, or None when it is shown."""
    target_type, target_id = _ref(target)
    return hidden_decisions(target_type).get(target_id)


def hidden_among(refs) -> dict[tuple[str, int], Decision]:
    """The decisions hiding (or holding for pre-moderation) any of ``refs``, ``(type, id)``
    pairs (None ones skipped): one query per type and request, for a list that shows texts
    of several features (the site search, the OParl export)."""
    wanted = {tuple(ref) for ref in refs if ref}
    cache = g.setdefault("hub_hidden", {}) if has_request_context() else {}
    prefetch_hidden({target_type for target_type, _id in wanted}, cache)
    found = {}
    for target_type, target_id in wanted:
        decision = cache[target_type].get(target_id)
        if decision is not None:
            found[(target_type, target_id)] = decision
    return found


def _forget_cache() -> None:
    if has_request_context():
        g.pop("hub_hidden", None)


def switched_off_feature(target, depth: int = 3) -> str | None:
    """The title of the plugin switched off that ``target`` belongs to (its type's, or that
    of the object it sits in: a comment on a petition), or None when its feature is on.

    While a plugin is switched off its pages answer 404 and its code does not run, so its
    texts can be neither approved, refused, hidden, kept nor restored: the author would be
    sent a link that leads nowhere, and the feature could not react (publish, review). They
    stay in the queue, marked, until an administrator switches the plugin on again."""
    reg = registry()
    while target is not None and depth > 0:
        object_type = reg.find_model(type(target))
        if object_type is None:
            return None
        if object_type.switched_off():
            info = current_app.extensions["hub"].plugins.plugins.get(object_type.owner)
            return str(info.title) if info is not None else object_type.owner
        parent_type = getattr(target, "target_type", None)
        parent_id = getattr(target, "target_id", None)
        if not (isinstance(parent_type, str) and isinstance(parent_id, int)):
            return None
        target, depth = reg.load(parent_type, parent_id), depth - 1
    return None


def refuse_switched_off(target) -> None:
    feature = switched_off_feature(target)
    if feature is not None:
        raise RuleError(
            _(
                "The feature “%(feature)s” is switched off: its texts cannot be moderated "
                "until an administrator switches it on again.",
                feature=feature,
            ),
            status=409,
            code="feature_switched_off",
        )


def premoderated(target) -> bool:
    """Whether what residents write of this type waits for a moderator (the setting names
    the plugin, or the object type)."""
    object_type = registry().find_model(type(target))
    if object_type is None or not object_type.moderation:
        return False
    names = set(get_setting("moderation_premoderated") or ())
    return object_type.name in names or object_type.owner in names


def hold(target) -> Decision | None:
    """Call right after a resident wrote ``target``: when its feature is pre-moderated, it
    stays hidden until a moderator decides; returns the pending decision, or None when the
    text is shown at once."""
    if not premoderated(target):
        return None
    target_type, target_id = _ref(target)
    decision = Decision(
        target_type=target_type,
        target_id=target_id,
        hidden=True,
        pending=True,
        reason="",
        author_id=_author_id(target),
        decided_at=utcnow(),
    )
    db.session.add(decision)
    db.session.flush()
    _forget_cache()
    emit("moderation.held", target)
    return decision


def approve(target, moderator) -> Decision:
    """Show a text that waited for pre-moderation; its author is told."""
    if not is_moderator(moderator):
        raise RuleError(_("Only moderators may approve content."), status=403)
    refuse_switched_off(target)
    decision = lock(target)
    if decision is None or not decision.pending:
        raise RuleError(_("This is not waiting for moderation."), status=409)
    decision.pending, decision.hidden = False, False
    decision.moderator_id, decision.decided_at = moderator.id, utcnow()
    _forget_cache()
    emit("moderation.approved", target, actor=moderator)
    object_type = registry().type_of(target)
    if decision.author_id:
        from ..accounts.models import User

        notify(
            [db.session.get(User, decision.author_id)],
            _("A moderator approved your text"),
            object_type.url(target),
            kind="moderation.approved",
        )
    # The feature tells now whom it would have told at once (followers, the author of the
    # commented object…): nobody heard of the text while it waited.
    if object_type.on_published is not None:
        object_type.on_published(target)
    return decision


def settle(target, actor) -> bool:
    """The feature's own review refused a text held for pre-moderation (found inadmissible,
    or not feasible, before any moderator read it): the hold ends without a message, the
    feature having told the author itself, and the text leaves the moderators' queue. No
    moderator read it, so it is never published: it stays hidden wherever the core hides
    held texts (pages, search, exports), with no moderation reason (the feature shows its
    own) and nothing to appeal here. Returns whether there was a hold."""
    decision = lock(target)
    if decision is None or not decision.pending:
        return False
    decision.pending, decision.hidden, decision.reason = False, True, ""
    decision.moderator_id, decision.decided_at = None, utcnow()
    db.session.flush()
    _forget_cache()
    emit("moderation.settled", target, actor=actor)
    return True


def resume(target) -> bool:
    """The feature's review took back its refusal of a text it had settled (found feasible
    after all): no moderator read it yet, so it waits for one again, hidden.
    Returns whether it was settled."""
    decision = lock(target)
    if decision is None or not decision.settled:
        return False
    decision.pending, decision.decided_at = True, utcnow()
    db.session.flush()
    _forget_cache()
    emit("moderation.held", target)
    return True


def pending_items() -> list[dict]:
    """Texts waiting for pre-moderation, oldest first."""
    rows = list(
        db.session.scalars(
            select(Decision).where(Decision.pending.is_(True)).order_by(Decision.decided_at)
        )
    )
    objects = registry().load_many((d.target_type, d.target_id) for d in rows)
    result = []
    for decision in rows:
        target = objects.get((decision.target_type, decision.target_id))
        if target is None:
            continue
        object_type = registry().get(decision.target_type)
        switched_off = switched_off_feature(target)
        result.append(
            {
                "type": decision.target_type,
                "id": decision.target_id,
                "target": target,
                "label": object_type.label,
                "title": object_type.title(target),
                # Its page answers 404 while the feature is off: no link, no action.
                "url": "" if switched_off else object_type.url(target),
                "switched_off": switched_off,
                "since": decision.decided_at,
            }
        )
    return result


def _switched_off_types() -> list[str]:
    """The object types of switched-off plugins, sorted."""
    types = registry().types
    return sorted(name for name, object_type in types.items() if object_type.switched_off())


def _decidable(type_column, id_column, off=None):
    """SQL condition on a ``(type, id)`` pair of columns: the text is not of a switched-off
    plugin (``off``: those types, read from the registry when None), nor sits in an object
    of one (a comment on a petition: a type whose objects have ``target_type``/``target_id``
    columns, as :func:`switched_off_feature` walks them, one level here). None while every
    plugin is on (the usual case): nothing to leave out."""
    types = registry().types
    if off is None:
        off = _switched_off_types()
    if not off:
        return None
    left_out = [type_column.in_(off)]
    for name, object_type in types.items():
        model = object_type.model
        parent_type = getattr(model, "target_type", None)
        parent_id = getattr(model, "target_id", None)
        if name in off or not (
            isinstance(parent_type, QueryableAttribute)
            and isinstance(parent_id, QueryableAttribute)
        ):
            continue
        left_out.append(
            and_(
                type_column == name,
                id_column.in_(select(model.id).where(parent_type.in_(off))),
            )
        )
    return not_(or_(*left_out))


def _count(query, type_column, id_column) -> int:
    return db.session.scalar(_decidable_only(query, type_column, id_column)) or 0


def _decidable_only(query, type_column, id_column, off=None):
    decidable = _decidable(type_column, id_column, off)
    return query if decidable is None else query.where(decidable)


def staff_counts():
    """One row of the three counts of the staff area (``reports``, ``appeals``,
    ``pending``), as :func:`open_report_count`, :func:`pending_appeal_count` and
    :func:`pending_count` count them: a query to read with the page's other lists, and its
    ``order_by``. It has no bind parameter and is built once per worker for each set of
    switched-off plugins (and of object types, which say what lies in their objects)."""
    off = tuple(_switched_off_types())
    return _staff_counts(off, tuple(registry().types) if off else ())


@lru_cache(maxsize=32)
def _staff_counts(off: tuple[str, ...], _types: tuple[str, ...]):
    counts = select(
        _decidable_only(
            select(func.count(Report.id)).where(Report.resolved_at.is_(None)),
            Report.target_type,
            Report.target_id,
            off,
        )
        .scalar_subquery()
        .label("reports"),
        _decidable_only(
            select(func.count(Decision.id)).where(
                Decision.appealed_at.is_not(None), Decision.appeal_decided_at.is_(None)
            ),
            Decision.target_type,
            Decision.target_id,
            off,
        )
        .scalar_subquery()
        .label("appeals"),
        _decidable_only(
            select(func.count(Decision.id)).where(Decision.pending),
            Decision.target_type,
            Decision.target_id,
            off,
        )
        .scalar_subquery()
        .label("pending"),
    )
    return counts, (counts.selected_columns.reports,)


def pending_count() -> int:
    """How many held texts a moderator can decide now (the staff area's count): those of a
    switched-off plugin, shown in the queue as not actionable, are left out (same one query)."""
    return _count(
        select(func.count(Decision.id)).where(Decision.pending),
        Decision.target_type,
        Decision.target_id,
    )


def may_report(user, target) -> bool:
    return target.id in reportable(user, [target])


def reportable(user, targets) -> set[int]:
    """The ids of the ``targets`` (objects of one type) that ``user`` may report: shown, of
    a type under moderation, written by someone else, and ``user`` logged in with a
    confirmed address. A list (a discussion's comments) asks once for all."""
    if not targets or not getattr(user, "is_authenticated", False) or not user.email_confirmed:
        return set()
    object_type = registry().find_model(type(targets[0]))
    if object_type is None or not object_type.moderation:
        return set()
    if len({type(target) for target in targets}) > 1:
        raise ValueError("reportable() takes objects of one type")
    hidden_ids = hidden_decisions(object_type.name)
    author_id, me = object_type.author_id, user.id
    return {
        target.id for target in targets if author_id(target) != me and target.id not in hidden_ids
    }


def report(target, reporter, reason: str, details: str = "") -> Report:
    if not enabled(target):
        raise RuleError(_("This cannot be reported."), status=404)
    if reason not in REASONS:
        raise RuleError(_("Choose a reason."), field="reason")
    if not getattr(reporter, "email_confirmed", False):
        raise RuleError(_("Confirm your email address to report content."), status=403)
    if _author_id(target) == reporter.id:
        raise RuleError(_("You cannot report what you wrote."), status=403)
    target_type, target_id = _ref(target)
    already = db.session.scalar(
        select(Report.id).where(
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.reporter_id == reporter.id,
        )
    )
    if already is not None:
        raise RuleError(_("You have already reported this."), status=409, code="already_reported")
    row = Report(
        target_type=target_type,
        target_id=target_id,
        reporter_id=reporter.id,
        reason=reason,
        details=(details or "").strip()[:2000],
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    emit("moderation.reported", target, actor=reporter, reason=reason)
    return row


def queue() -> list[dict]:
    """Open reports grouped per object, the most reported first."""
    rows = db.session.scalars(
        select(Report).where(Report.resolved_at.is_(None)).order_by(Report.id)
    ).all()
    groups: dict[tuple[str, int], list[Report]] = {}
    for row in rows:
        groups.setdefault((row.target_type, row.target_id), []).append(row)
    objects = registry().load_many(groups)
    result = []
    for key, reports in groups.items():
        target = objects.get(key)
        if target is None:
            continue
        object_type = registry().get(key[0])
        switched_off = switched_off_feature(target)
        result.append(
            {
                "type": key[0],
                "id": key[1],
                "target": target,
                "label": object_type.label,
                "title": object_type.title(target),
                "url": "" if switched_off else object_type.url(target),
                "switched_off": switched_off,
                "reports": reports,
                "reasons": sorted({r.reason for r in reports}),
                "first_at": reports[0].created_at,
            }
        )
    result.sort(key=lambda g: (-len(g["reports"]), g["first_at"]))
    return result


def open_report_count() -> int:
    """How many open reports a moderator can decide now: those on texts of a switched-off
    plugin (not actionable in the queue) are left out."""
    return _count(
        select(func.count(Report.id)).where(Report.resolved_at.is_(None)),
        Report.target_type,
        Report.target_id,
    )


def _resolve(target_type: str, target_id: int, outcome: str) -> int:
    rows = db.session.scalars(
        select(Report).where(
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.resolved_at.is_(None),
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.resolved_at, row.outcome = now, outcome
    return len(rows)


def hide(target, moderator, reason: str) -> Decision:
    """Hide ``target`` with a public reason; its author is told and may appeal once."""
    if not is_moderator(moderator):
        raise RuleError(_("Only moderators may hide content."), status=403)
    if not enabled(target):
        raise RuleError(_("This cannot be moderated."), status=404)
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(_("Give the reason shown in place of the content."), field="reason")
    refuse_switched_off(target)
    target_type, target_id = _ref(target)
    decision = lock(target)
    if decision is not None and decision.hidden and not decision.pending:
        # Hidden by a moderator, or withheld by the feature's review (settled): either way
        # nobody sees it, and its author was told once.
        raise RuleError(_("This is already hidden."), status=409)
    refused = decision is not None and decision.pending
    if decision is None:
        decision = Decision(target_type=target_type, target_id=target_id)
        db.session.add(decision)
    decision.hidden, decision.pending = True, False
    decision.reason = reason[:1000]
    decision.moderator_id = moderator.id
    decision.author_id = _author_id(target)
    decision.decided_at = utcnow()
    decision.appeal_text, decision.appealed_at = "", None
    decision.appeal_moderator_id, decision.appeal_decided_at = None, None
    decision.appeal_outcome, decision.appeal_reason = "", ""
    db.session.flush()
    _resolve(target_type, target_id, "hidden")
    _forget_cache()
    emit("moderation.hidden", target, actor=moderator, reason=decision.reason)
    object_type = registry().type_of(target)
    if refused and object_type.on_refused is not None:
        object_type.on_refused(target, moderator, decision.reason)
    if decision.author_id:
        from ..accounts.models import User

        notify(
            [db.session.get(User, decision.author_id)],
            # A text held for pre-moderation was never shown: it is refused, not hidden.
            _("Your text was not published")
            if refused
            else _("Your text was hidden by moderation"),
            object_type.url(target),
            body=_(
                "Reason: %(reason)s. You may appeal once from the page: %(link)s",
                reason=decision.reason,
                link=appeal_path(decision),
            ),
            kind="moderation.refused" if refused else "moderation.hidden",
        )
    return decision


def keep(target, moderator) -> int:
    """Close the open reports of ``target`` without hiding it."""
    if not is_moderator(moderator):
        raise RuleError(_("Only moderators may decide on reports."), status=403)
    refuse_switched_off(target)
    lock(target)  # a hiding at the same time closes the same reports
    target_type, target_id = _ref(target)
    count = _resolve(target_type, target_id, "kept")
    if count:
        emit("moderation.kept", target, actor=moderator, reports=count)
    return count


def appeal_path(decision: Decision) -> str:
    from flask import url_for

    return url_for("moderation.appeal", decision_id=decision.id)


def may_appeal(user, decision: Decision) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and decision.hidden
        and not decision.pending
        and not decision.settled
        and decision.author_id == user.id
        and decision.appealed_at is None
    )


def appeal(decision: Decision, user, text: str) -> Decision:
    if decision.author_id != getattr(user, "id", None):
        raise RuleError(_("Only the author may appeal."), status=403)
    _lock_decision(decision)
    if not decision.hidden or decision.pending or decision.settled:
        raise RuleError(_("This is no longer hidden."), status=409)
    if decision.appealed_at is not None:
        raise RuleError(_("You have already appealed this decision."), status=409)
    text = (text or "").strip()
    if not text:
        raise RuleError(_("Explain why the decision should be reviewed."), field="text")
    decision.appeal_text = text[:4000]
    decision.appealed_at = utcnow()
    emit(
        "moderation.appealed",
        object_type=decision.target_type,
        object_id=decision.target_id,
        actor=user,
    )
    return decision


def may_decide_appeal(user, decision: Decision) -> bool:
    return is_moderator(user) and decision.appeal_pending and decision.moderator_id != user.id


def decide_appeal(decision: Decision, moderator, restore: bool, reason: str) -> Decision:
    """A second moderator (never the one who hid it) upholds or restores."""
    if not is_moderator(moderator):
        raise RuleError(_("Only moderators may decide an appeal."), status=403)
    _lock_decision(decision)
    if not decision.appeal_pending:
        raise RuleError(_("There is no appeal to decide."), status=409)
    if decision.moderator_id == moderator.id:
        raise RuleError(
            _("Another moderator decides the appeal, not the one who hid the content."),
            status=403,
        )
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(_("Give the reason of the decision."), field="reason")
    refuse_switched_off(registry().load(decision.target_type, decision.target_id))
    decision.appeal_moderator_id = moderator.id
    decision.appeal_decided_at = utcnow()
    decision.appeal_outcome = "restored" if restore else "upheld"
    decision.appeal_reason = reason[:2000]
    if restore:
        decision.hidden = False
    _forget_cache()
    emit(
        "moderation.appeal_decided",
        object_type=decision.target_type,
        object_id=decision.target_id,
        actor=moderator,
        outcome=decision.appeal_outcome,
    )
    target = registry().load(decision.target_type, decision.target_id)
    if restore and target is not None:
        restored = registry().type_of(target).on_restored
        if restored is not None:
            restored(target, decision)
    if decision.author_id and target is not None:
        from ..accounts.models import User

        notify(
            [db.session.get(User, decision.author_id)],
            _("Your text is shown again") if restore else _("The moderation decision is upheld"),
            registry().type_of(target).url(target),
            body=decision.appeal_reason,
            kind="moderation.appeal_decided",
        )
    return decision


def pending_appeals() -> list[Decision]:
    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.appealed_at.is_not(None), Decision.appeal_decided_at.is_(None))
            .order_by(Decision.appealed_at)
        )
    )


def pending_appeal_count() -> int:
    """How many appeals a moderator can decide now: those on texts of a switched-off plugin
    (not actionable in the queue) are left out."""
    return _count(
        select(func.count(Decision.id)).where(
            Decision.appealed_at.is_not(None), Decision.appeal_decided_at.is_(None)
        ),
        Decision.target_type,
        Decision.target_id,
    )


def decisions(limit: int = 200) -> list[Decision]:
    """The latest decisions (the public trail of moderation)."""
    return list(
        db.session.scalars(
            select(Decision)
            # A text withheld by its feature's review (settled) is no moderation decision.
            .where(
                Decision.pending.is_(False), or_(Decision.hidden.is_(False), Decision.reason != "")
            )
            .order_by(Decision.decided_at.desc())
            .limit(limit)
        )
    )
