"""The initiative workflow: every transition is here, locked, emitted as a declared event
(which writes the audit log) and told to the members and followers.

    proposed ⇄ constituted → submitted → retained | partly_retained | not_retained
    proposed | constituted | submitted → withdrawn

Views, the API, the CLI, the demo and the staff's screens all go through these functions;
none of them changes the state otherwise. Two facts are kept apart from the state:

- *the collective is large enough*: :func:`settle` is the one rule that compares the
  members (counted from their rows, under the initiative's row lock) with the number
  required, and moves the initiative between *proposed* and *constituted*. Joining,
  leaving, submitting and the recount command call it; nothing else constitutes;
- *the support threshold is reached* (core signature service): recorded with its date,
  told to the collective, and never a decision. Only :func:`decide`, an act of an elected
  official with a reasoned answer, moves an initiative to retained or not retained.

Every function opens its own write transaction (``BEGIN IMMEDIATE`` on SQLite, the
initiative's row locked with ``SELECT ... FOR UPDATE`` on PostgreSQL); called inside a
caller's transaction it runs in a savepoint of it. Refusals are :class:`RuleError` with a
status and a stable ``code`` the API returns.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hub.plugin import (
    SYSTEM,
    Body,
    Commune,
    Neighbourhood,
    RuleError,
    Signature,
    User,
    answers,
    body_capabilities,
    create_project,
    db,
    emit,
    external_url,
    follows,
    for_update,
    get_setting,
    long_date,
    long_datetime,
    moderation,
    notify,
    sessions,
    signatures,
    utcnow,
    write_transaction,
)

from . import rules
from .models import (
    ACTIVE,
    DECIDED,
    OBJECT_TYPE,
    OPEN,
    STATE_LABELS,
    SUPPORT_REACHED,
    DossierVersion,
    Initiative,
    Member,
)

MIN_REASON = 20
MIN_WITHDRAWAL_REASON = 10
OUTCOMES = DECIDED


class StateError(RuleError):
    """A transition the initiative's state does not allow now (409: someone acted first, or
    the page was out of date)."""

    status = 409
    code = "wrong_state"

    def __init__(self, state: str, message: str | None = None, code: str | None = None):
        super().__init__(
            message
            or _(
                "This initiative is no longer at this stage (it is now: %(state)s). Reload the "
                "page to see what changed.",
                state=STATE_LABELS.get(state, state),
            ),
            code=code,
        )
        self.state = state


# --- Who may do what -------------------------------------------------------------------------


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def require_verified(user) -> None:
    """Proposing and joining are for verified residents, from their own account."""
    if not _authenticated(user):
        raise RuleError(_("Log in to do this."), status=401, code="login_required")
    if not user.email_confirmed:
        raise RuleError(
            _("Confirm your email address first (see the link we sent you)."),
            status=403,
            code="email_not_confirmed",
        )
    if not user.residence_verified:
        raise RuleError(
            _(
                "Only residents whose residence is verified can propose an "
                "initiative or join its collective. Ask for the verification from "
                "your profile."
            ),
            status=403,
            code="residence_not_verified",
        )


def is_verified(user) -> bool:
    return _authenticated(user) and user.email_confirmed and user.residence_verified


def is_member(user, initiative: Initiative) -> bool:
    if not _authenticated(user):
        return False
    return (
        db.session.scalar(
            select(Member.id).where(
                Member.initiative_id == initiative.id, Member.user_id == user.id
            )
        )
        is not None
    )


def can_manage(user) -> bool:
    return _authenticated(user) and user.can("initiative_workshops.manage")


def acts_for_facilitator(user, initiative: Initiative, accepted_only: bool = True) -> bool:
    """A member of the facilitating body who may act for it (chair, facilitator…)."""
    if not _authenticated(user) or initiative.facilitator is None:
        return False
    wanted = ("accepted",) if accepted_only else ("asked", "accepted")
    if initiative.facilitation not in wanted:
        return False
    return "act" in body_capabilities(user, initiative.facilitator)


def can_work_on(user, initiative: Initiative) -> bool:
    """Edit the dossier and plan sessions: the collective, its facilitators, the staff."""
    return is_member(user, initiative) or acts_for_facilitator(user, initiative) or can_manage(user)


def can_decide(user) -> bool:
    """The political decision is an act of an elected official: the *elected* role itself,
    not a permission an administrator inherits."""
    return _authenticated(user) and "elected" in user.roles


# --- Reading -----------------------------------------------------------------------------------


def count_members(initiative_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Member.id)).where(Member.initiative_id == initiative_id)
        )
        or 0
    )


def members_of(initiative: Initiative) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .options(selectinload(User.role_rows))
            .join(Member, Member.user_id == User.id)
            .where(Member.initiative_id == initiative.id)
            .order_by(Member.joined_at, Member.id)
        )
    )


def latest_version(initiative_id: int) -> DossierVersion | None:
    return db.session.scalar(
        select(DossierVersion)
        .where(DossierVersion.initiative_id == initiative_id)
        .order_by(DossierVersion.number.desc())
        .limit(1)
    )


def initiative_path(initiative: Initiative) -> str:
    return url_for("initiative_workshops.detail", initiative_id=initiative.id)


def lock(initiative_id: int) -> Initiative:
    """The initiative, re-read under the row lock (the caller is in a write transaction)."""
    db.session.execute(for_update(select(Initiative.id).where(Initiative.id == initiative_id)))
    initiative = db.session.get(Initiative, initiative_id, populate_existing=True)
    if initiative is None:
        raise RuleError(_("No initiative has this number."), status=404, code="not_found")
    return initiative


# --- Telling people --------------------------------------------------------------------------


def _tell(
    initiative: Initiative, title_fn, body_fn=None, *, kind: str, extra=(), followers=True
) -> int:
    """Notify the members and followers (and ``extra`` users) once each, in the hub's default
    language: a row in their notifications and an email. ``followers=False`` for news the
    core already tells an initiative's followers (a new session): only the members who do
    not follow it are told here."""
    recipients = {u.id: u for u in members_of(initiative)}
    if followers:
        for user in follows.followers(initiative):
            recipients.setdefault(user.id, user)
    else:
        for user in follows.followers(initiative):
            recipients.pop(user.id, None)
    for user in extra:
        if user is not None:
            recipients.setdefault(user.id, user)
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        rows = notify(
            list(recipients.values()),
            title_fn(),
            initiative_path(initiative),
            body=body_fn() if body_fn else "",
            kind=kind,
        )
    return len(rows)


def _body_actors(body: Body) -> list[User]:
    """The members of a body who may act for it (they answer a facilitation request)."""
    users = [m.user for m in body.active_members() if m.user is not None]
    return [u for u in users if "act" in body_capabilities(u, body)]


# --- The collective: the one rule ---------------------------------------------------------------


def settle(initiative: Initiative, actor) -> str | None:
    """Compare the collective with the number required and move the initiative between
    *proposed* and *constituted*; returns ``"constituted"``, ``"unconstituted"`` or None.

    The members are counted from their rows under the initiative's lock (the counter is
    corrected if it ever drifted), so concurrent joins constitute it exactly once. After
    submission the collective no longer changes the state: the dossier is with the council.
    """
    count = count_members(initiative.id)
    if initiative.members_count != count:
        initiative.members_count = count
    met = count >= initiative.members_required
    if initiative.state == "proposed" and met:
        _constitute(initiative, actor)
        return "constituted"
    if initiative.state == "constituted" and not met:
        _unconstitute(initiative, actor)
        return "unconstituted"
    return None


def _set_state(initiative: Initiative, state: str) -> None:
    initiative.state = state
    initiative.state_changed_at = utcnow()


def _constitute(initiative: Initiative, actor) -> None:
    _set_state(initiative, "constituted")
    initiative.constituted_at = initiative.state_changed_at
    emit(
        "initiative_workshops.constituted",
        initiative,
        actor=actor,
        members=initiative.members_count,
        members_required=initiative.members_required,
    )
    if not initiative.facilitation:
        body = default_facilitator(initiative)
        if body is not None:
            _ask_facilitation(initiative, body, SYSTEM)
    try_open_support(initiative)
    _tell(
        initiative,
        lambda: _("“%(title)s” is constituted", title=initiative.title),
        lambda: " ".join(
            [
                _(
                    "%(count)d residents carry this initiative: its collective is "
                    "constituted. It can now hold sessions, build its dossier and submit it "
                    "to the council.",
                    count=initiative.members_count,
                ),
                *([_support_open_text(initiative)] if initiative.collection_id else []),
            ]
        ),
        kind="initiative_workshops.constituted",
    )


def _unconstitute(initiative: Initiative, actor) -> None:
    _set_state(initiative, "proposed")
    emit(
        "initiative_workshops.unconstituted",
        initiative,
        actor=actor,
        members=initiative.members_count,
        members_required=initiative.members_required,
    )
    _tell(
        initiative,
        lambda: _("“%(title)s” is no longer constituted", title=initiative.title),
        lambda: _(
            "Members left the collective: it has %(count)d of the %(required)d "
            "residents required. It cannot be submitted until enough residents join "
            "again.",
            count=initiative.members_count,
            required=initiative.members_required,
        ),
        kind="initiative_workshops.unconstituted",
    )


def propose(
    author,
    *,
    title: str,
    summary: str,
    reasons: str = "",
    neighbourhood_ids=(),
) -> Initiative:
    """A verified resident proposes an idea; they are the first member of its collective."""
    require_verified(author)
    title, summary, reasons = (
        (title or "").strip(),
        (summary or "").strip(),
        (reasons or "").strip(),
    )
    if not 5 <= len(title) <= 200:
        raise RuleError(_("Give a title of 5 to 200 characters."), field="title", code="bad_title")
    if not 20 <= len(summary) <= 20000:
        raise RuleError(
            _("Describe the idea in at least 20 characters."), field="summary", code="bad_summary"
        )
    try:
        wanted = sorted({int(i) for i in neighbourhood_ids or ()})
    except (TypeError, ValueError):
        raise RuleError(
            _("Unknown neighbourhood."), field="neighbourhood_ids", code="bad_neighbourhood"
        ) from None
    with write_transaction():
        quarters = (
            list(db.session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(wanted))))
            if wanted
            else []
        )
        if len(quarters) != len(wanted):
            raise RuleError(
                _("Unknown neighbourhood."), field="neighbourhood_ids", code="bad_neighbourhood"
            )
        scope = "neighbourhood" if quarters else "commune"
        initiative = Initiative(
            title=title,
            summary=summary,
            reasons=reasons,
            scope=scope,
            author_id=author.id,
            members_required=rules.members_required(scope),
            members_count=0,
            state="proposed",
        )
        initiative.neighbourhoods = quarters
        db.session.add(initiative)
        db.session.flush()
        db.session.add(
            DossierVersion(
                initiative_id=initiative.id,
                number=1,
                proposal=summary,
                questions="",
                note="",
                author_id=author.id,
            )
        )
        emit(
            "initiative_workshops.proposed",
            initiative,
            actor=author,
            scope=scope,
            members_required=initiative.members_required,
        )
        follows.set_following(author, initiative, True)
        db.session.add(Member(initiative_id=initiative.id, user_id=author.id))
        db.session.flush()
        moderation.hold(initiative)  # waits for a moderator when pre-moderated
        settle(initiative, author)
    return initiative


def join(initiative_id: int, user) -> Initiative:
    """``user`` joins the collective from their own account (409 if already a member)."""
    require_verified(user)
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.state not in ACTIVE:
            raise StateError(
                initiative.state,
                _(
                    "The collective of this initiative no longer changes: it was decided or "
                    "withdrawn."
                ),
                code="closed",
            )
        if is_member(user, initiative):
            raise RuleError(
                _("You are already a member of this collective."), status=409, code="already_member"
            )
        db.session.add(Member(initiative_id=initiative.id, user_id=user.id))
        db.session.flush()
        follows.set_following(user, initiative, True)
        emit("initiative_workshops.member_joined", initiative, actor=user)
        settle(initiative, user)
    return initiative


def leave(initiative_id: int, user) -> Initiative:
    """``user`` leaves the collective; below the number required before submission, the
    initiative is no longer constituted."""
    if not _authenticated(user):
        raise RuleError(_("Log in to do this."), status=401, code="login_required")
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.state not in ACTIVE:
            raise StateError(
                initiative.state,
                _(
                    "The collective of this initiative no longer changes: it was decided or "
                    "withdrawn."
                ),
                code="closed",
            )
        row = db.session.scalar(
            select(Member).where(Member.initiative_id == initiative.id, Member.user_id == user.id)
        )
        if row is None:
            raise RuleError(
                _("You are not a member of this collective."), status=409, code="not_member"
            )
        db.session.delete(row)
        db.session.flush()
        emit("initiative_workshops.member_left", initiative, actor=user)
        settle(initiative, user)
    return initiative


def recount(actor=SYSTEM) -> list[tuple[int, int, int, str | None]]:
    """Recount every active collective from its rows and apply the rule again:
    ``[(initiative id, stored, actual, transition)]`` for those that changed."""
    changed = []
    with write_transaction():
        ids = db.session.scalars(
            select(Initiative.id).where(Initiative.state.in_(ACTIVE)).order_by(Initiative.id)
        ).all()
        for initiative_id in ids:
            initiative = lock(initiative_id)
            stored = initiative.members_count
            transition = settle(initiative, actor)
            if transition or stored != initiative.members_count:
                changed.append((initiative.id, stored, initiative.members_count, transition))
    return changed


# --- Facilitation ------------------------------------------------------------------------------


def default_facilitator(initiative: Initiative) -> Body | None:
    """The conseil de quartier of the initiative's neighbourhoods (the one covering most of
    them), or for the whole commune the body the settings name."""
    if initiative.scope == "commune" or not initiative.neighbourhoods:
        slug = (get_setting("initiative_workshops_commune_body") or "").strip()
        if not slug:
            return None
        return db.session.scalar(select(Body).where(Body.slug == slug, Body.archived_at.is_(None)))
        # (None: the staff name a body from the initiative's page.)
    kind = (get_setting("initiative_workshops_facilitator_type") or "").strip()
    wanted = {n.id for n in initiative.neighbourhoods}
    best, best_score = None, 0
    for body in db.session.scalars(
        select(Body).where(Body.type == kind, Body.archived_at.is_(None)).order_by(Body.name)
    ):
        score = len(wanted & {n.id for n in body.neighbourhoods})
        if score > best_score:
            best, best_score = body, score
    return best


def _ask_facilitation(initiative: Initiative, body: Body, actor) -> None:
    initiative.facilitator_body_id = body.id
    initiative.facilitator = body
    initiative.facilitation = "asked"
    initiative.facilitation_asked_at = utcnow()
    initiative.facilitation_answered_at = None
    initiative.facilitation_note = ""
    initiative.priority = None
    emit("initiative_workshops.facilitation_asked", initiative, actor=actor, body=body.id)
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        notify(
            _body_actors(body),
            _(
                "%(body)s is asked to facilitate the citizen initiative “%(title)s”",
                body=body.name,
                title=initiative.title,
            ),
            initiative_path(initiative),
            kind="initiative_workshops.facilitation_asked",
        )


def assign_facilitator(initiative_id: int, body_id: int, agent) -> Initiative:
    """The commune names the body asked to facilitate (when there is no conseil de quartier,
    for the whole commune, or after a refusal)."""
    if not can_manage(agent):
        raise RuleError(
            _("Only the commune's staff name the facilitating body."), status=403, code="forbidden"
        )
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.state not in ACTIVE:
            raise StateError(initiative.state)
        body = db.session.get(Body, body_id)
        if body is None or body.archived_at is not None:
            raise RuleError(_("Choose an active local body."), field="body_id", code="bad_body")
        if body.id == initiative.facilitator_body_id and initiative.facilitation in (
            "asked",
            "accepted",
        ):
            raise RuleError(
                _("This body is already asked to facilitate this initiative."),
                field="body_id",
                status=409,
                code="already_asked",
            )
        _ask_facilitation(initiative, body, agent)
    return initiative


def answer_facilitation(initiative_id: int, user, *, accept: bool, note: str = "") -> Initiative:
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.facilitation != "asked" or initiative.state not in ACTIVE:
            raise RuleError(
                _("This body is not awaiting an answer about this initiative."),
                status=409,
                code="not_asked",
            )
        if not acts_for_facilitator(user, initiative, accepted_only=False):
            raise RuleError(
                _("Only the members who act for the body answer for it."),
                status=403,
                code="forbidden",
            )
        initiative.facilitation = "accepted" if accept else "declined"
        initiative.facilitation_answered_at = utcnow()
        initiative.facilitation_note = (note or "").strip()[:2000]
        emit(
            "initiative_workshops.facilitation_accepted"
            if accept
            else "initiative_workshops.facilitation_declined",
            initiative,
            actor=user,
            body=initiative.facilitator_body_id,
        )
        body_name = initiative.facilitator.name
        _tell(
            initiative,
            (lambda: _("%(body)s facilitates “%(title)s”", body=body_name, title=initiative.title))
            if accept
            else (
                lambda: _(
                    "%(body)s declined to facilitate “%(title)s”",
                    body=body_name,
                    title=initiative.title,
                )
            ),
            (lambda: initiative.facilitation_note),
            kind="initiative_workshops.facilitation",
        )
    return initiative


def set_priority(initiative_id: int, user, priority: int | None) -> Initiative:
    """The facilitating body ranks the initiatives it facilitates (its "priorities")."""
    if priority is not None and not 1 <= priority <= 99:
        raise RuleError(
            _("A priority is a number from 1 (first) to 99."), field="priority", code="bad_priority"
        )
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.facilitation != "accepted":
            raise RuleError(
                _("Only a body that facilitates an initiative sets its priority."),
                status=409,
                code="not_facilitated",
            )
        if not (acts_for_facilitator(user, initiative) or can_manage(user)):
            raise RuleError(
                _("Only the members who act for the body set its priorities."),
                status=403,
                code="forbidden",
            )
        initiative.priority = priority
        emit(
            "initiative_workshops.prioritised",
            initiative,
            actor=user,
            body=initiative.facilitator_body_id,
            priority=priority,
        )
    return initiative


# --- Public support (core signature service) ---------------------------------------------------


def try_open_support(initiative: Initiative, actor=SYSTEM) -> bool:
    """Open the support collection if the commune's rules ask for one (at constitution).
    When the rule cannot be applied (a share of residents whose number is unknown), the
    initiative is marked ``pending``: it cannot be submitted until the staff open it."""
    try:
        return open_support(initiative, actor)
    except rules.ThresholdError:
        initiative.support_rule = "pending"
        return False


def open_support(initiative: Initiative, actor=SYSTEM) -> bool:
    """Open the collection with the threshold frozen as of now (raises ThresholdError)."""
    if initiative.collection_id is not None:
        return False
    support = rules.support_for(initiative)
    if support is None:
        initiative.support_rule = ""
        return False
    minimum_age = int(get_setting("initiative_workshops_support_minimum_age") or 0)
    collection = signatures.create_collection(
        OBJECT_TYPE,
        initiative.id,
        title=initiative.title,
        url=external_url("initiative_workshops.detail", initiative_id=initiative.id),
        require_verified_resident=True,
        minimum_age=minimum_age or None,
        thresholds=[(support.count, SUPPORT_REACHED, "Support threshold")],
    )
    signatures.open_collection(collection)
    initiative.collection_id = collection.id
    initiative.support_threshold = support.count
    initiative.support_rule = support.rule
    initiative.support_population = support.population or None
    emit(
        "initiative_workshops.support_opened",
        initiative,
        actor=actor,
        threshold=support.count,
        rule=support.rule,
        population=support.population,
    )
    return True


def _support_open_text(initiative: Initiative) -> str:
    return ngettext(
        "Residents can now support it: %(num)d signature is needed before the dossier is "
        "submitted, online or on paper.",
        "Residents can now support it: %(num)d signatures are needed before the dossier is "
        "submitted, online or on paper.",
        initiative.support_threshold or 0,
    )


def open_support_now(initiative_id: int, agent) -> Initiative:
    """The staff open a support collection left pending (the population is now known)."""
    if not can_manage(agent):
        raise RuleError(_("Only the commune's staff can do this."), status=403, code="forbidden")
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.state not in ("constituted", "submitted") or initiative.collection_id:
            raise StateError(initiative.state)
        try:
            opened = open_support(initiative, agent)
        except rules.ThresholdError:
            raise RuleError(
                _(
                    "The support threshold cannot be computed: give the population "
                    "of the initiative's neighbourhoods (territory) or of the "
                    "commune (settings)."
                ),
                code="population_unknown",
            ) from None
        if not opened:
            raise RuleError(_("The commune's rules ask for no public support."), code="no_support")
        # A step the collective waited for (its submission needs the support), told like
        # every step; when support opens with the constitution, that message says so.
        _tell(
            initiative,
            lambda: _("Public support is open for “%(title)s”", title=initiative.title),
            lambda: _support_open_text(initiative),
            kind="initiative_workshops.support_opened",
        )
    return initiative


def on_threshold(collection, threshold) -> None:
    """Called by the core once, inside the signature's transaction, when the support
    threshold is reached: a fact told to the collective, not a decision."""
    if collection.object_type != OBJECT_TYPE or threshold.action != SUPPORT_REACHED:
        return
    initiative = db.session.get(Initiative, collection.object_id)
    if initiative is None or initiative.support_reached_at is not None:
        return
    initiative.support_reached_at = utcnow()
    emit(
        "initiative_workshops.support_reached",
        initiative,
        actor=SYSTEM,
        signatures=collection.total,
        threshold=threshold.count,
    )
    _tell(
        initiative,
        lambda: _("“%(title)s” reached its support threshold", title=initiative.title),
        lambda: _(
            "%(count)d residents support it. This is not a decision: the collective "
            "submits its dossier, and an elected official decides.",
            count=collection.total,
        ),
        kind="initiative_workshops.support_reached",
    )


def support_missing(initiative: Initiative) -> str | None:
    """Why the support does not allow submission now (None: it does, or none is asked)."""
    if initiative.support_rule == "pending":
        return _(
            "The public support has not opened yet: the commune's staff must give the "
            "population of the initiative's scope first."
        )
    if initiative.collection_id is None:
        return None
    total = initiative.collection.total if initiative.collection else 0
    if total < (initiative.support_threshold or 0):
        return _(
            "The public support has %(count)d of the %(threshold)d signatures required.",
            count=total,
            threshold=initiative.support_threshold,
        )
    return None


# --- Submission, acknowledgement, decision, withdrawal ------------------------------------------


def submit(initiative_id: int, actor) -> Initiative:
    """The collective submits its dossier to the council (a member, or the staff at its
    request): only a constituted collective, recounted under the lock, with its support."""
    if not _authenticated(actor):
        raise RuleError(_("Log in to do this."), status=401, code="login_required")
    refusal = None
    with write_transaction():
        initiative = lock(initiative_id)
        if not (is_member(actor, initiative) or can_manage(actor)):
            raise RuleError(
                _("Only a member of the collective submits its dossier."),
                status=403,
                code="not_member",
            )
        if initiative.state not in OPEN:
            raise StateError(initiative.state)
        # The rule again, on the rows: a correction it makes is kept even if refused below.
        settle(initiative, actor)
        if initiative.state != "constituted":
            refusal = RuleError(
                _(
                    "The collective is not constituted: %(count)d of the "
                    "%(required)d residents required have joined.",
                    count=initiative.members_count,
                    required=initiative.members_required,
                ),
                status=409,
                code="not_constituted",
            )
        elif missing := support_missing(initiative):
            refusal = RuleError(missing, status=409, code="support_not_reached")
        else:
            _record_submission(initiative, actor)
    if refusal is not None:
        raise refusal
    return initiative


def _record_submission(initiative: Initiative, actor) -> None:
    version = latest_version(initiative.id)
    today = rules.local_today()
    _set_state(initiative, "submitted")
    initiative.submitted_at = initiative.state_changed_at
    initiative.submitted_by_id = actor.id
    initiative.submitted_version = version.number if version else None
    initiative.members_at_submission = initiative.members_count
    initiative.support_at_submission = (
        initiative.collection.total if initiative.collection else None
    )
    initiative.decision_due = rules.decision_due(today)
    emit(
        "initiative_workshops.submitted",
        initiative,
        actor=actor,
        members=initiative.members_count,
        version=initiative.submitted_version,
        support=initiative.support_at_submission,
        decision_due=initiative.decision_due.isoformat(),
    )
    _tell(
        initiative,
        lambda: _("“%(title)s” is submitted to the council", title=initiative.title),
        lambda: _(
            "The council must decide by %(date)s.",
            date=long_date(initiative.decision_due, rebase=False),
        ),
        kind="initiative_workshops.submitted",
    )


def acknowledge(initiative_id: int, agent) -> Initiative:
    """The commune acknowledges receipt; the decision is due from the submission date."""
    if not can_manage(agent):
        raise RuleError(
            _("Only the commune's staff acknowledge a dossier."), status=403, code="forbidden"
        )
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.state != "submitted":
            raise StateError(initiative.state)
        if initiative.acknowledged_at is not None:
            raise RuleError(
                _("This dossier is already acknowledged."), status=409, code="already_acknowledged"
            )
        initiative.acknowledged_at = utcnow()
        initiative.acknowledged_by_id = agent.id
        emit(
            "initiative_workshops.acknowledged",
            initiative,
            actor=agent,
            decision_due=initiative.decision_due.isoformat(),
        )
        _tell(
            initiative,
            lambda: _(
                "The commune acknowledged the dossier of “%(title)s”", title=initiative.title
            ),
            lambda: _(
                "The council must decide by %(date)s.",
                date=long_date(initiative.decision_due, rebase=False),
            ),
            kind="initiative_workshops.acknowledged",
        )
    return initiative


def _signers(initiative: Initiative) -> list[User]:
    if initiative.collection_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .options(selectinload(User.role_rows))
            .join(Signature, Signature.user_id == User.id)
            .where(
                Signature.collection_id == initiative.collection_id,
                Signature.invalidated_at.is_(None),
            )
        )
    )


def check_decision(outcome: str, reason: str, decided_on: date | None = None) -> str:
    """The rules of a decision that need no database (shared by the form, the API and
    :func:`decide`, which applies them again): returns the cleaned reason."""
    if outcome not in OUTCOMES:
        raise RuleError(
            _("Choose the outcome of the decision."), field="outcome", code="bad_outcome"
        )
    reason = (reason or "").strip()
    if outcome == "not_retained" and len(reason) < MIN_REASON:
        raise RuleError(
            _(
                "Say why the initiative is not retained (at least %(n)d "
                "characters): the reason is published and sent to its members and "
                "followers.",
                n=MIN_REASON,
            ),
            field="reason",
            code="reason_required",
        )
    if outcome == "partly_retained" and len(reason) < MIN_REASON:
        raise RuleError(
            _("Say what is kept and what is not (at least %(n)d characters).", n=MIN_REASON),
            field="reason",
            code="reason_required",
        )
    if outcome == "retained" and reason and len(reason) < MIN_REASON:
        raise RuleError(
            _("A reason, when given, has at least %(n)d characters.", n=MIN_REASON),
            field="reason",
            code="reason_too_short",
        )
    if decided_on is not None and decided_on > rules.local_today():
        raise RuleError(
            _("The decision's date cannot be in the future."), field="decided_on", code="bad_date"
        )
    return reason


def decide(
    initiative_id: int,
    official,
    *,
    outcome: str,
    reason: str = "",
    reference: str = "",
    decided_on: date | None = None,
) -> Initiative:
    """The political decision on a submitted dossier, by an elected official: a dated act
    with a reasoned answer (core answers service). Retained or partly retained creates the
    official project (phase 1, draft contrat participatif), linked both ways."""
    if not can_decide(official):
        raise RuleError(
            _(
                "The decision is an act of an elected official: only an account "
                "with the elected role can record it."
            ),
            status=403,
            code="not_elected",
        )
    reason = check_decision(outcome, reason, decided_on)
    reference = (reference or "").strip()[:200]
    decided_on = decided_on or rules.local_today()
    with write_transaction():
        initiative = lock(initiative_id)
        if initiative.state in OPEN:
            raise StateError(
                initiative.state,
                _(
                    "The council decides on a submitted dossier: this initiative has not been "
                    "submitted."
                ),
                code="not_submitted",
            )
        if initiative.state != "submitted":
            raise StateError(
                initiative.state, code="already_decided" if initiative.state in DECIDED else None
            )
        if initiative.submitted_at and decided_on < initiative.submitted_at.date():
            raise RuleError(
                _("The decision cannot be dated before the submission."),
                field="decided_on",
                code="bad_date",
            )
        with force_locale(current_app.config["DEFAULT_LOCALE"]):
            text = reason or _(
                "The council retains the initiative “%(title)s”: it becomes an "
                "official project of the commune.",
                title=initiative.title,
            )
        answer = answers.publish(
            initiative,
            text,
            official,
            outcome=outcome,
            min_length=MIN_REASON if outcome != "retained" else 0,
            reference=reference,
        )
        project = None
        if outcome in ("retained", "partly_retained"):
            project = _create_project(initiative, official, outcome, reason, reference, decided_on)
        _set_state(initiative, outcome)
        initiative.decided_at = initiative.state_changed_at
        initiative.decided_on = decided_on
        initiative.decided_by_id = official.id
        initiative.decision_reference = reference
        initiative.answer_id = answer.id
        initiative.project_id = project.id if project else None
        if initiative.collection is not None:
            signatures.close_collection(initiative.collection)
        emit(
            "initiative_workshops.decided",
            initiative,
            actor=official,
            outcome=outcome,
            decided_on=decided_on.isoformat(),
            reference=reference,
            project_id=initiative.project_id,
            days_late=initiative.days_late(),
        )
        label = STATE_LABELS[outcome]
        _tell(
            initiative,
            lambda: _(
                "Decision on “%(title)s”: %(outcome)s",
                title=initiative.title,
                outcome=str(label).lower(),
            ),
            lambda: text,
            kind="initiative_workshops.decided",
            extra=_signers(initiative),
        )
    return initiative


def _create_project(initiative, official, outcome, reason, reference, decided_on):
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        origin = _(
            "Born of the citizen initiative workshop “%(title)s”. Decision of "
            "%(date)s%(reference)s: %(outcome)s.",
            title=initiative.title,
            outcome=str(STATE_LABELS[outcome]).lower(),
            date=long_date(decided_on, rebase=False),
            reference=" (" + reference + ")" if reference else "",
        )
        kept = reason if outcome == "partly_retained" else initiative.summary
    commune_id = (
        initiative.neighbourhoods[0].commune_id
        if initiative.neighbourhoods
        else db.session.scalar(select(Commune.id).order_by(Commune.id).limit(1))
    )
    return create_project(
        title=initiative.title,
        level="communal",
        domain="other",
        commune_id=commune_id,
        summary=initiative.summary + "\n\n" + origin,
        neighbourhoods=initiative.neighbourhoods,
        actor=official,
        contrat_open=kept,
        contrat_decides=origin,
    )


def withdraw(initiative_id: int, actor, reason: str) -> Initiative:
    """The collective withdraws its initiative (its author, or the staff at its request)."""
    reason = (reason or "").strip()
    if len(reason) < MIN_WITHDRAWAL_REASON:
        raise RuleError(
            _(
                "Say why the initiative is withdrawn (at least %(n)d characters): "
                "the reason is public.",
                n=MIN_WITHDRAWAL_REASON,
            ),
            field="reason",
            code="reason_required",
        )
    with write_transaction():
        initiative = lock(initiative_id)
        if not (_authenticated(actor) and (actor.id == initiative.author_id or can_manage(actor))):
            raise RuleError(
                _("Only the author of the initiative withdraws it."), status=403, code="forbidden"
            )
        if initiative.state not in ACTIVE:
            raise StateError(initiative.state)
        _set_state(initiative, "withdrawn")
        initiative.withdrawn_at = initiative.state_changed_at
        initiative.withdrawal_reason = reason
        if initiative.collection is not None:
            signatures.close_collection(initiative.collection)
        emit("initiative_workshops.withdrawn", initiative, actor=actor)
        _tell(
            initiative,
            lambda: _("“%(title)s” is withdrawn", title=initiative.title),
            lambda: reason,
            kind="initiative_workshops.withdrawn",
        )
    return initiative


# --- The cover image ---------------------------------------------------------------------------


def may_change_image(user, initiative: Initiative, member: bool | None = None) -> bool:
    """Who may replace an initiative's cover image: its collective while the idea is open
    (proposed or constituted: once submitted, what the council received stays as it was),
    the staff who manage initiatives at any time (a picture that must go). ``member`` spares
    a query when the caller knows it."""
    if not _authenticated(user):
        return False
    if can_manage(user):
        return True
    if initiative.state not in OPEN:
        return False
    return is_member(user, initiative) if member is None else member


def set_cover_image(initiative_id: int, actor, choose) -> Initiative:
    """Show the image ``choose(current)`` returns (the core images service's
    :func:`hub.plugin.apply_cover_form`: a new picture, the current one described anew, or
    None once removed) on the initiative; checked under the lock before anything is stored,
    audited with what changed."""
    with write_transaction():
        initiative = lock(initiative_id)
        if not may_change_image(actor, initiative):
            raise RuleError(
                _("You may no longer change this initiative's image."),
                status=403,
                code="image_locked",
            )
        current = initiative.cover_image
        current_id = current.id if current is not None else None
        image = choose(current)
        if image is None and current_id is None:
            raise RuleError(_("Choose an image."), field="cover_image", code="image_missing")
        if image is None:
            change = "removed"
        elif image.id != current_id:
            change = "replaced" if current_id else "added"
        else:
            change = "described"
        initiative.cover_image = image
        emit("initiative_workshops.image_changed", initiative, actor=actor, change=change)
    return initiative


# --- The dossier and the sessions ----------------------------------------------------------------


def save_dossier(
    initiative_id: int, user, *, proposal: str, questions: str, note: str = ""
) -> DossierVersion:
    """A new version of the dossier (the previous ones are kept)."""
    proposal, questions = (proposal or "").strip(), (questions or "").strip()
    if len(proposal) < 20:
        raise RuleError(
            _("The proposal needs at least 20 characters."), field="proposal", code="bad_proposal"
        )
    with write_transaction():
        initiative = lock(initiative_id)
        if not can_work_on(user, initiative):
            raise RuleError(
                _("Only the collective, its facilitators and the staff edit the dossier."),
                status=403,
                code="forbidden",
            )
        if initiative.state not in OPEN:
            raise StateError(
                initiative.state,
                _("The dossier was submitted: it no longer changes."),
                code="dossier_frozen",
            )
        latest = latest_version(initiative.id)
        if latest and (latest.proposal, latest.questions) == (proposal, questions):
            raise RuleError(
                _("Nothing changed since the last version."), field="proposal", code="unchanged"
            )
        version = DossierVersion(
            initiative_id=initiative.id,
            number=(latest.number if latest else 0) + 1,
            proposal=proposal,
            questions=questions,
            note=(note or "").strip()[:300],
            author_id=user.id,
        )
        db.session.add(version)
        db.session.flush()
        emit("initiative_workshops.dossier_saved", initiative, actor=user, version=version.number)
    return version


def add_document(initiative_id: int, user, *, title: str, url: str):
    from .models import Document

    title, url = (title or "").strip(), (url or "").strip()
    if not title:
        raise RuleError(_("Give the document a title."), field="title", code="bad_title")
    if not url.startswith(("https://", "http://")):
        raise RuleError(
            _("Give a web address starting with https://."), field="url", code="bad_url"
        )
    with write_transaction():
        initiative = lock(initiative_id)
        if not can_work_on(user, initiative):
            raise RuleError(
                _("Only the collective, its facilitators and the staff add documents."),
                status=403,
                code="forbidden",
            )
        if initiative.state not in OPEN:
            raise StateError(
                initiative.state,
                _("The dossier was submitted: it no longer changes."),
                code="dossier_frozen",
            )
        document = Document(
            initiative_id=initiative.id, title=title[:200], url=url[:500], added_by_id=user.id
        )
        db.session.add(document)
        db.session.flush()
        emit("initiative_workshops.document_added", initiative, actor=user, document=document.id)
    return document


def plan_session(initiative_id: int, user, **fields):
    """A session of the constituted initiative on the core sessions service (agenda, iCal,
    registrations, attendance and minutes), held by its facilitating body if any."""
    with write_transaction():
        initiative = lock(initiative_id)
        if not can_work_on(user, initiative):
            raise RuleError(
                _("Only the collective, its facilitators and the staff plan its sessions."),
                status=403,
                code="forbidden",
            )
        if initiative.state not in ("constituted", "submitted"):
            raise StateError(
                initiative.state,
                _("An initiative holds sessions once its collective is constituted."),
                code="not_constituted",
            )
        organiser = initiative.facilitator if initiative.facilitation == "accepted" else None
        meeting = sessions.create_session(
            target=initiative,
            organiser=organiser,
            neighbourhoods=initiative.neighbourhoods,
            actor=user,
            **fields,
        )
        when = long_datetime(meeting.starts_at, rebase=False)
        _tell(
            initiative,
            lambda: _("New session of “%(title)s” on %(date)s", title=initiative.title, date=when),
            lambda: meeting.place or "",
            kind="initiative_workshops.session",
            followers=False,  # the core's session.created news reaches them
        )
    return meeting


def contribution_rule(initiative: Initiative, *, channel, source, author, entered_by) -> None:
    """Residents comment on an initiative until it is decided or withdrawn."""
    if initiative.state not in ACTIVE:
        raise RuleError(_("This initiative no longer takes comments."), code="closed")
    if channel != "online" and entered_by is None:
        raise RuleError(_("Offline comments are entered by the staff."))


def tell_overdue(today: date | None = None) -> list[Initiative]:
    """Tell the members, followers and the staff, once, that a decision is overdue."""
    today = today or rules.local_today()
    told = []
    with write_transaction():
        ids = db.session.scalars(
            select(Initiative.id)
            .where(
                Initiative.state == "submitted",
                Initiative.decision_due < today,
                Initiative.overdue_told_at.is_(None),
            )
            .order_by(Initiative.id)
        ).all()
        staff = _staff()
        for initiative_id in ids:
            initiative = lock(initiative_id)
            if initiative.state != "submitted" or initiative.overdue_told_at is not None:
                continue
            initiative.overdue_told_at = utcnow()
            days = initiative.days_overdue(today)
            emit(
                "initiative_workshops.decision_overdue",
                initiative,
                actor=SYSTEM,
                decision_due=initiative.decision_due.isoformat(),
                days_overdue=days,
            )
            _tell(
                initiative,
                lambda i=initiative: _("The decision on “%(title)s” is overdue", title=i.title),
                lambda i=initiative: _(
                    "It was due by %(date)s.", date=long_date(i.decision_due, rebase=False)
                ),
                kind="initiative_workshops.overdue",
                extra=staff,
            )
            told.append(initiative)
    return told


def _staff() -> list[User]:
    """Agents and elected officials: they follow the council's pending decisions."""
    role = User.role_rows.property.mapper.class_
    return list(
        db.session.scalars(
            select(User)
            .options(selectinload(User.role_rows))
            .where(
                User.deleted_at.is_(None), User.role_rows.any(role.role.in_(("agent", "elected")))
            )
        )
    )
