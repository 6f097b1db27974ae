"""Pages of the workshops: list, page of a workshop, opening and editing one, planning its
sessions, sending the proposals of its minutes to its project, following it, open data."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select

from hub.plugin import (
    Body,
    HubForm,
    Neighbourhood,
    Project,
    RuleError,
    Session,
    SessionForm,
    SortKey,
    apply_cover_form,
    bodies_acting_for,
    choices,
    csv_response,
    db,
    fill_cover_form,
    follows,
    form_action,
    int_arg,
    invitation_notice,
    limit_writes,
    login_required_response,
    require_sent,
    sessions,
    sort_key,
    sorted_page,
    write_transaction,
)

from . import services
from .forms import KIND_SHORT, WorkshopForm
from .models import KINDS, Workshop, workshop_neighbourhood

bp = Blueprint(
    "neighbourhood_workshops", __name__, url_prefix="/ateliers", template_folder="templates"
)


def get_workshop(workshop_id: int) -> Workshop:
    return db.session.get(Workshop, workshop_id) or abort(404)


def require_manager(workshop: Workshop):
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.may_manage(current_user, workshop):
        abort(403)
    return None


PAGE_SIZE = 30

# Open workshops first, then by title; the id breaks ties (keyset paging needs a unique last key).
LISTING_ORDER = [
    SortKey(
        case((Workshop.closed_at.is_(None), 0), else_=1), False, lambda w: int(bool(w.closed_at))
    ),
    sort_key(Workshop.title),
    sort_key(Workshop.id),
]


def _filtered(kind: str = "", neighbourhood_id: int | None = None):
    query = select(Workshop).order_by(Workshop.closed_at.is_not(None), Workshop.title, Workshop.id)
    if kind in KINDS:
        query = query.where(Workshop.kind == kind)
    if neighbourhood_id:
        query = query.where(
            Workshop.id.in_(
                select(workshop_neighbourhood.c.workshop_id).where(
                    workshop_neighbourhood.c.neighbourhood_id == neighbourhood_id
                )
            )
        )
    return query


def _listing(kind: str = "", neighbourhood_id: int | None = None):
    return list(db.session.scalars(_filtered(kind, neighbourhood_id)))


def _next_sessions(workshops) -> dict[int, object]:
    found = sessions.sessions_by_target(services.TYPE, [w.id for w in workshops])
    from hub.plugin import local_now

    now = local_now()
    return {
        wid: next((m for m in items if m.starts_at >= now and not m.cancelled_at), None)
        for wid, items in found.items()
    }


@bp.route("/")
def index():
    kind = request.args.get("kind", "")
    neighbourhood_id = int_arg("neighbourhood")
    page = sorted_page(
        db.session,
        _filtered(kind, neighbourhood_id),
        LISTING_ORDER,
        request.args.get("after"),
        PAGE_SIZE,
    )
    workshops = page.items
    neighbourhoods = db.session.execute(
        select(Neighbourhood.id, Neighbourhood.name).order_by(Neighbourhood.name)
    ).all()
    return render_template(
        "neighbourhood_workshops/index.html",
        workshops=workshops,
        page=page,
        kinds=KIND_SHORT,
        kind=kind,
        neighbourhood_id=neighbourhood_id,
        neighbourhoods=neighbourhoods,
        next_sessions=_next_sessions(workshops),
        can_open=services.may_open(current_user),
    )


def _form_choices(form: WorkshopForm, workshop: Workshop | None = None) -> None:
    if current_user.can("neighbourhood_workshops.manage"):
        bodies = db.session.scalars(
            select(Body).where(Body.archived_at.is_(None)).order_by(Body.name)
        ).all()
        form.host_body_id.choices = choices(
            [(0, _("No host body (the commune)"))] + [(b.id, b.name) for b in bodies]
        )
    else:
        bodies = bodies_acting_for(current_user, "act")
        if (
            workshop is not None
            and workshop.host_body is not None
            and workshop.host_body not in bodies
        ):
            bodies = [workshop.host_body, *bodies]
        form.host_body_id.choices = choices([(b.id, b.name) for b in bodies])
    projects = db.session.scalars(select(Project).order_by(Project.title)).all()
    form.project_id.choices = choices([(0, _("No project"))] + [(p.id, p.title) for p in projects])
    form.neighbourhood_ids.choices = choices(
        db.session.execute(
            select(Neighbourhood.id, Neighbourhood.name).order_by(Neighbourhood.name)
        ).all()
    )
    form.keep_facilitators.choices = choices(
        [(f.user_id, f.user.display_name) for f in workshop.facilitators] if workshop else []
    )


def _values(form: WorkshopForm) -> dict:
    data = {
        name: form[name].data or ""
        for name in (
            "kind",
            "title",
            "topic",
            "summary",
            "description",
            "charter",
            "how_to_join",
            "budget_line",
        )
    }
    data["budget_amount"] = form.budget_amount.data
    return data


@bp.route("/new", methods=["GET", "POST"])
@limit_writes("write")
def new():
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.may_open(current_user):
        abort(403)
    form = WorkshopForm()
    _form_choices(form)
    if request.method == "GET":
        form.kind.data = "neighbourhood"
    invited: list[str] = []

    def action():
        invited[:] = services.facilitator_addresses(form.invite_facilitators.data)
        values = _values(form)
        workshop = services.open_workshop(
            current_user,
            host_body=db.session.get(Body, form.host_body_id.data or 0),
            project=db.session.get(Project, form.project_id.data or 0),
            neighbourhoods=[
                db.session.get(Neighbourhood, i) for i in form.neighbourhood_ids.data or []
            ],
            **values,
        )
        workshop.cover_image = apply_cover_form(form, None, user=current_user)
        services.invite_facilitators(workshop, invited, current_user)
        return workshop

    done = form_action(
        form,
        action,
        success=_("The workshop is open."),
        redirect_to=lambda w: url_for("neighbourhood_workshops.show", workshop_id=w.id),
    )
    if done is not None:
        if invited:
            flash(invitation_notice(invited), "info")
        return done
    return render_template("neighbourhood_workshops/form.html", form=form, workshop=None), (
        422 if form.errors else 200
    )


@bp.route("/<int:workshop_id>/edit", methods=["GET", "POST"])
def edit(workshop_id: int):
    workshop = get_workshop(workshop_id)
    if (login := require_manager(workshop)) is not None:
        return login
    form = WorkshopForm(obj=workshop)
    _form_choices(form, workshop)
    if request.method == "GET":
        form.host_body_id.data = workshop.host_body_id or 0
        form.project_id.data = workshop.project_id or 0
        form.neighbourhood_ids.data = [n.id for n in workshop.neighbourhoods]
        form.keep_facilitators.data = [f.user_id for f in workshop.facilitators]
    fill_cover_form(form, workshop.cover_image)
    invited: list[str] = []

    def action():
        invited[:] = services.facilitator_addresses(form.invite_facilitators.data)
        values = _values(form)
        body = db.session.get(Body, form.host_body_id.data or 0)
        if (
            body is not None
            and body.id != workshop.host_body_id
            and not services.may_open(current_user, body)
        ):
            raise RuleError(_("You do not act for this body."), field="host_body_id")
        values["host_body"] = (
            body
            if (body is not None or current_user.can("neighbourhood_workshops.manage"))
            else workshop.host_body
        )
        services.update_workshop(
            workshop,
            current_user,
            project=db.session.get(Project, form.project_id.data or 0),
            neighbourhoods=[
                db.session.get(Neighbourhood, i) for i in form.neighbourhood_ids.data or []
            ],
            keep_facilitators=form.keep_facilitators.data or [],
            **values,
        )
        workshop.cover_image = apply_cover_form(form, workshop.cover_image, user=current_user)
        services.invite_facilitators(workshop, invited, current_user)
        return workshop

    done = form_action(
        form,
        action,
        success=_("The workshop is updated."),
        redirect_to=url_for("neighbourhood_workshops.show", workshop_id=workshop.id),
    )
    if done is not None:
        if invited:
            flash(invitation_notice(invited), "info")
        return done
    return render_template("neighbourhood_workshops/form.html", form=form, workshop=workshop), (
        422 if form.errors else 200
    )


@bp.route("/<int:workshop_id>")
def show(workshop_id: int):
    from sqlalchemy.orm import joinedload

    from hub.plugin import local_now

    # The page names the host body and the project (not their neighbourhoods), and the
    # workshop's neighbourhoods come in the workshop's own query.
    workshop = (
        db.session.scalars(
            select(Workshop)
            .where(Workshop.id == workshop_id)
            .options(
                joinedload(Workshop.neighbourhoods),
                joinedload(Workshop.host_body).lazyload(Body.neighbourhoods),
                joinedload(Workshop.project).lazyload(Project.neighbourhoods),
            )
        )
        .unique()
        .first()
    ) or abort(404)
    # Sessions once, without their neighbourhoods: the lists and the outcomes share them.
    items = sessions.sessions_for([(services.TYPE, workshop.id)], with_neighbourhoods=False)
    following, followers = follows.following_and_count(current_user, workshop)
    now = local_now()
    can_manage = services.may_manage(current_user, workshop)
    upcoming = [m for m in items if m.starts_at >= now]
    past = [m for m in items if m.starts_at < now][::-1]
    return render_template(
        "neighbourhood_workshops/show.html",
        workshop=workshop,
        upcoming=upcoming,
        past=past,
        counts=sessions.counts_by_meeting([m.id for m in items]),
        kinds=KIND_SHORT,
        outcomes=services.outcomes(workshop, items),
        can_manage=can_manage,
        proposals_refusal=services.proposals_refusal(workshop, current_user)
        if can_manage
        else None,
        form=HubForm(),
        following=following,
        followers=followers,
    )


SESSION_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "mode",
    "place",
    "online_url",
    "access_features",
    "accessibility",
    "description",
    "registrations_open",
    "capacity",
    "reserved_seats",
)


@bp.route("/<int:workshop_id>/sessions/new", methods=["GET", "POST"])
@limit_writes("write")
def new_session(workshop_id: int):
    workshop = get_workshop(workshop_id)
    if (login := require_manager(workshop)) is not None:
        return login
    form = SessionForm()
    if request.method == "GET":
        form.title.data = workshop.title
        form.registrations_open.data = True

    def action():
        values = {name: form[name].data for name in SESSION_FIELDS}
        for name in ("place", "online_url", "accessibility", "description"):
            values[name] = values[name] or ""
        values["reserved_seats"] = values["reserved_seats"] or 0
        return services.plan_session(workshop, current_user, **values)

    done = form_action(
        form,
        action,
        success=_("The session is planned."),
        redirect_to=lambda m: url_for("sessions.show", meeting_id=m.id),
    )
    if done is not None:
        return done
    return render_template(
        "neighbourhood_workshops/session_form.html", form=form, workshop=workshop
    ), (422 if form.errors else 200)


@bp.route("/<int:workshop_id>/sessions/<int:meeting_id>/proposals/<int:position>", methods=["POST"])
def send_proposal(workshop_id: int, meeting_id: int, position: int):
    workshop = get_workshop(workshop_id)
    if (login := require_manager(workshop)) is not None:
        return login
    meeting = db.session.get(Session, meeting_id) or abort(404)
    form = HubForm()
    require_sent(form)
    try:
        with write_transaction():
            services.send_proposal(workshop, meeting, position, current_user)
    except RuleError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    else:
        flash(_("The proposal is sent to the project, which will answer it."), "success")
    return redirect(url_for("neighbourhood_workshops.show", workshop_id=workshop.id) + "#outcomes")


@bp.route("/<int:workshop_id>/follow", methods=["POST"])
def follow(workshop_id: int):
    workshop = get_workshop(workshop_id)
    if not current_user.is_authenticated:
        return login_required_response()
    require_sent()
    with write_transaction():
        following = not follows.is_following(current_user, workshop)
        follows.set_following(current_user, workshop, following)
    flash(
        _("You follow this workshop: its new sessions come to you.")
        if following
        else _("You no longer follow this workshop."),
        "success",
    )
    return redirect(url_for("neighbourhood_workshops.show", workshop_id=workshop.id))


# --- Open data ------------------------------------------------------------------------------


def workshop_record(workshop: Workshop, meetings, counts) -> dict:
    return {
        "id": workshop.id,
        "uuid": workshop.uuid,
        "kind": workshop.kind,
        "title": workshop.title,
        "topic": workshop.topic,
        "summary": workshop.summary,
        "neighbourhoods": [n.name for n in workshop.neighbourhoods],
        "host_body": workshop.host_body.name if workshop.host_body else None,
        "host_body_id": workshop.host_body_id,
        "project_id": workshop.project_id,
        "budget_line": workshop.budget_line,
        "budget_amount": workshop.budget_amount,
        "closed": workshop.closed_at is not None,
        "url": url_for("neighbourhood_workshops.show", workshop_id=workshop.id, _external=True),
        "sessions": [
            {
                "id": m.id,
                "title": m.title,
                "starts_at": m.starts_at.isoformat(),
                "ends_at": m.ends_at.isoformat() if m.ends_at else None,
                "mode": m.attendance_mode,
                "capacity": m.capacity,
                "registered": counts[m.id]["registered"],
                "waitlisted": counts[m.id]["waitlisted"],
                "attendance": m.attendance_count,
                "cancelled": m.cancelled_at is not None,
                "minutes_status": m.minutes_status or "",
            }
            for m in meetings
        ],
    }


def all_records() -> list[dict]:
    workshops = _listing()
    by_target = sessions.sessions_by_target(services.TYPE, [w.id for w in workshops])
    counts = sessions.counts_by_meeting([m.id for items in by_target.values() for m in items])
    return [workshop_record(w, by_target[w.id], counts) for w in workshops]


@bp.route("/ateliers.json")
def export_json():
    from flask import jsonify

    response = jsonify({"workshops": all_records()})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/ateliers.csv")
def export_csv():
    rows = []
    for record in all_records():
        rows.append(
            [
                record["id"],
                record["kind"],
                record["title"],
                record["topic"],
                "; ".join(record["neighbourhoods"]),
                record["host_body"] or "",
                record["project_id"] or "",
                len(record["sessions"]),
                record["url"],
            ]
        )
    return csv_response(
        [
            "id",
            "kind",
            "title",
            "topic",
            "neighbourhoods",
            "host_body",
            "project_id",
            "sessions",
            "url",
        ],
        rows,
        "ateliers.csv",
    )


@bp.route("/sessions.csv")
def export_sessions_csv():
    rows = []
    for record in all_records():
        for s in record["sessions"]:
            rows.append(
                [
                    record["id"],
                    record["title"],
                    s["id"],
                    s["starts_at"],
                    s["mode"],
                    s["capacity"] if s["capacity"] is not None else "",
                    s["registered"],
                    s["waitlisted"],
                    s["attendance"] if s["attendance"] is not None else "",
                    "yes" if s["cancelled"] else "",
                    s["minutes_status"],
                ]
            )
    return csv_response(
        [
            "workshop_id",
            "workshop",
            "session_id",
            "starts_at",
            "mode",
            "capacity",
            "registered",
            "waitlisted",
            "attendance",
            "cancelled",
            "minutes_status",
        ],
        rows,
        "ateliers-seances.csv",
    )


@bp.route("/sessions.json")
def export_sessions_json():
    """Every session of the workshops, each with its workshop (no personal data)."""
    from flask import jsonify

    result = [
        {"workshop_id": record["id"], "workshop": record["title"], **session}
        for record in all_records()
        for session in record["sessions"]
    ]
    response = jsonify({"sessions": result})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def published_minutes() -> list[dict]:
    """The published minutes of every workshop's sessions, in the listing's order then by
    date: one query for the sessions with their workshop's title (a record's sections need
    nothing else)."""
    from sqlalchemy.orm import lazyload

    rows = db.session.execute(
        select(Session, Workshop.id, Workshop.title)
        .join(
            Workshop,
            (Session.target_type == services.TYPE) & (Session.target_id == Workshop.id),
        )
        .where(Session.minutes_status == "published")
        .options(lazyload("*"))
        .order_by(
            Workshop.closed_at.is_not(None),
            Workshop.title,
            Workshop.id,
            Session.starts_at,
            Session.id,
        )
    ).all()
    return [
        {
            "workshop_id": workshop_id,
            "workshop": title,
            "session_id": meeting.id,
            **sessions.minutes_record(meeting),
        }
        for meeting, workshop_id, title in rows
    ]


@bp.route("/comptes-rendus.json")
def export_minutes():
    from flask import jsonify

    response = jsonify({"minutes": published_minutes()})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


MINUTES_COLUMNS = (
    "date",
    "time",
    "place",
    "attendance",
    "objectives",
    "method",
    "synthesis",
    "questions",
    "next_agenda",
)


@bp.route("/comptes-rendus.csv")
def export_minutes_csv():
    """The published minutes, one row per session (the proposals one per line)."""
    rows = []
    for record in published_minutes():
        sections = record["sections"]
        rows.append(
            [
                record["workshop_id"],
                record["workshop"],
                record["session_id"],
                record["status"],
                record["version"],
                record["published_at"] or "",
                *(
                    "" if sections.get(key) is None else sections.get(key)
                    for key in MINUTES_COLUMNS
                ),
                "\n".join(sections.get("proposals_list") or []),
            ]
        )
    return csv_response(
        [
            "workshop_id",
            "workshop",
            "session_id",
            "status",
            "version",
            "published_at",
            *MINUTES_COLUMNS,
            "proposals",
        ],
        rows,
        "ateliers-comptes-rendus.csv",
    )


api_bp = Blueprint("neighbourhood_workshops_api", __name__, url_prefix="/api/v1/workshops")


@api_bp.route("")
def api_index():
    from flask import jsonify

    return jsonify({"workshops": all_records()})


@api_bp.route("/<int:workshop_id>")
def api_show(workshop_id: int):
    from flask import jsonify

    from hub.plugin import api_error

    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        return api_error(404, _("No such workshop."))
    meetings = services.sessions_of(workshop)
    return jsonify(
        workshop_record(workshop, meetings, sessions.counts_by_meeting([m.id for m in meetings]))
    )
