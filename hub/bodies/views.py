"""Local bodies: public directory and pages, management by members, draws by lot, exports."""

from __future__ import annotations

import json
from datetime import date
from functools import cache

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from .. import audit, workqueue
from ..agenda import ical_response
from ..db import utcnow, write_transaction
from ..events import emit
from ..extensions import db
from ..forms import HubForm, choices, require_sent
from ..invitations import services as invitations
from ..paging import capped_count, sort_key, sorted_page
from ..permissions import permission_required
from ..ratelimits import limit_writes
from ..sessions.models import Meeting
from ..sharedparts import Deferred
from ..slots import ListQuery, list_query, read_lists
from ..territory.models import Commune, Neighbourhood, neighbourhood_choices
from ..text import csv_response, unique_slug
from ..timeutil import local_today, start_of_local_day
from ..web import fail, int_arg
from . import services
from .draw import DrawError
from .forms import BodyForm, DrawForm, MemberForm, PerformDrawForm
from .models import ROLES, Body, BodyMember, Draw, body_neighbourhood

bp = Blueprint("bodies", __name__, template_folder="templates")


def get_body(body_id: int) -> Body:
    """The body (404), its neighbourhoods in the same query (its pages name them)."""
    options = [joinedload(Body.neighbourhoods)]
    return db.session.get(Body, body_id, options=options) or abort(404)


def require(body: Body, capability: str) -> set[str]:
    if not current_user.is_authenticated:
        abort(401)
    caps = services.capabilities(current_user, body)
    if capability not in caps:
        abort(403)
    return caps


def _role_choices():
    return choices([(r, services.ROLE_LABELS[r]) for r in ROLES])


# --- Directory and pages --------------------------------------------------------------------


def _directory_query(type_: str = "", neighbourhood_id: int | None = None):
    query = select(Body).where(Body.archived_at.is_(None)).order_by(Body.type, Body.name)
    if type_:
        query = query.where(Body.type == type_)
    if neighbourhood_id:
        query = query.where(
            Body.id.in_(
                select(body_neighbourhood.c.body_id).where(
                    body_neighbourhood.c.neighbourhood_id == neighbourhood_id
                )
            )
        )
    return query


PAGE_SIZE = 50
DIRECTORY_ORDER = [sort_key(Body.type), sort_key(Body.name), sort_key(Body.id)]


@bp.route("/bodies")
def index():
    """The directory by type and name, a page at a time (a métropole has 1,200 bodies). The
    same for every viewer with the same roles (a shared part): the page, its counts and the
    filter's choices are read only when it is rendered, not when it is served kept."""
    type_ = request.args.get("type", "")
    nid = int_arg("neighbourhood")
    return render_template(
        "bodies/index.html",
        data=Deferred(lambda: _directory_data(type_, nid)),
        type_=type_,
        neighbourhood_id=nid,
    )


def _directory_data(type_: str, nid: int | None) -> dict:
    query = _directory_query(type_, nid)
    total, more = capped_count(db.session, query)
    page = sorted_page(db.session, query, DIRECTORY_ORDER, request.args.get("after"), PAGE_SIZE)
    return dict(
        bodies=page.items,
        page=page,
        total=total,
        more=more,
        counts=services.member_counts(b.id for b in page.items),
        types=services.body_types(),
        neighbourhoods=neighbourhood_choices(),
    )


def body_record(body: Body, day: date | None = None) -> dict:
    day = day or local_today()
    return {
        "id": body.id,
        "slug": body.slug,
        "name": body.name,
        "type": body.type,
        "commune": body.commune.name if body.commune else None,
        "neighbourhoods": [n.name for n in body.neighbourhoods],
        "description": body.description,
        "contact_email": body.contact_email,
        "contact": body.contact_info,
        "meeting_cadence": body.meeting_cadence,
        "website": body.website,
        "members": [
            {
                "name": m.name,
                "role": m.role,
                "mandate_start": m.mandate_start.isoformat() if m.mandate_start else None,
                "mandate_end": m.mandate_end.isoformat() if m.mandate_end else None,
                "drawn_by_lot": m.draw_id is not None,
            }
            for m in body.active_members(day)
        ],
        "url": url_for("bodies.show", body_id=body.id, _external=True),
    }


@bp.route("/bodies/export.json")
def export_json():
    bodies = db.session.scalars(_directory_query().options(selectinload(Body.members))).all()
    response = jsonify(
        {"bodies": [body_record(b) for b in bodies], "exported_at": utcnow().isoformat() + "Z"}
    )
    response.headers["Content-Disposition"] = "attachment; filename=instances.json"
    return response


@bp.route("/bodies/export.csv")
def export_csv():
    bodies = db.session.scalars(_directory_query().options(selectinload(Body.members))).all()
    header = [
        "id",
        "name",
        "type",
        "commune",
        "neighbourhoods",
        "contact_email",
        "contact",
        "meeting_cadence",
        "website",
        "member_name",
        "member_role",
        "mandate_start",
        "mandate_end",
        "drawn_by_lot",
    ]
    rows = []
    for body in bodies:
        record = body_record(body)
        head = [
            body.id,
            body.name,
            body.type,
            record["commune"] or "",
            "; ".join(record["neighbourhoods"]),
            body.contact_email,
            body.contact_info,
            body.meeting_cadence,
            body.website,
        ]
        for member in record["members"] or [None]:
            tail = (
                ["", "", "", "", ""]
                if member is None
                else [
                    member["name"],
                    member["role"],
                    member["mandate_start"] or "",
                    member["mandate_end"] or "",
                    "yes" if member["drawn_by_lot"] else "no",
                ]
            )
            rows.append(head + tail)
    return csv_response(header, rows, "instances.csv")


@bp.route("/bodies/<int:body_id>")
def show(body_id: int):
    """The body's page. What every viewer sees alike (``data``: its neighbourhoods, members,
    upcoming sessions and draws) is read only when a shared part of the page is rendered,
    not when it is served kept (hub.sharedparts); what the viewer may do for the body is
    read with the body, in its statement."""
    body = _body_for_viewer(body_id)
    return render_template(
        "bodies/show.html",
        body=body,
        caps=services.capabilities(current_user, body),
        data=Deferred(lambda: _shared_data(body)),
        role_labels=services.ROLE_LABELS,
    )


def _body_for_viewer(body_id: int) -> Body:
    """The body (404), with the roles the viewer holds in it today, noted for
    :func:`services.capabilities` (its sections ask too): one statement, built once per
    worker. Its neighbourhoods are left to the page's shared part."""
    user = current_user
    today = local_today()
    values = {"body_id": body_id, "user_id": user.id if user.is_authenticated else None}
    rows = db.session.execute(_body_and_roles(), {**values, "today": today}).all()
    if not rows:
        abort(404)
    body = rows[0][0]
    if user.is_authenticated:
        services.note_roles(user, body, {role for _body, role in rows if role}, today)
    return body


@cache
def _body_and_roles():
    today = bindparam("today")
    mine = and_(
        BodyMember.body_id == Body.id,
        BodyMember.user_id == bindparam("user_id"),
        or_(BodyMember.mandate_start.is_(None), BodyMember.mandate_start <= today),
        or_(BodyMember.mandate_end.is_(None), BodyMember.mandate_end >= today),
    )
    return (
        select(Body, BodyMember.role)
        .outerjoin(BodyMember, mine)
        .where(Body.id == bindparam("body_id"))
        .options(lazyload(Body.neighbourhoods))
    )


def _shared_data(body: Body) -> dict:
    """What the page shows every viewer alike, in one statement."""
    built = _lists_built()
    values = {"body_id": body.id}
    params = {
        "neighbourhoods": values,
        "members": {**values, "today": local_today()},
        "sessions": {**values, "since": start_of_local_day()},
        "draws": values,
    }
    found = read_lists(
        {
            name: ListQuery(query, order_by=order_by, limit=limit, params=params[name])
            for name, (query, order_by, limit) in built.items()
        }
    )
    return dict(
        neighbourhoods=[row.name for row in found["neighbourhoods"]],
        members=found["members"],
        sessions=found["sessions"],
        draws=found["draws"],
    )


@list_query
def _lists_built() -> dict[str, tuple]:
    """The page's lists as plain rows (``name: (query, order_by, limit)``)."""
    body_id = bindparam("body_id")
    today = bindparam("today")
    return {
        "neighbourhoods": (
            select(Neighbourhood.name)
            .join(body_neighbourhood, body_neighbourhood.c.neighbourhood_id == Neighbourhood.id)
            .where(body_neighbourhood.c.body_id == body_id),
            (Neighbourhood.name,),
            None,
        ),
        "members": (
            select(
                BodyMember.name,
                BodyMember.role,
                BodyMember.draw_id,
                BodyMember.mandate_start,
                BodyMember.mandate_end,
            ).where(
                BodyMember.body_id == body_id,
                or_(BodyMember.mandate_start.is_(None), BodyMember.mandate_start <= today),
                or_(BodyMember.mandate_end.is_(None), BodyMember.mandate_end >= today),
            ),
            (BodyMember.id,),
            None,
        ),
        # As sessions_for(upcoming_only=True, include_cancelled=False, limit=20).
        "sessions": (
            select(Meeting.id, Meeting.title, Meeting.starts_at, Meeting.place).where(
                or_(
                    and_(Meeting.target_type == "body", Meeting.target_id == body_id),
                    and_(Meeting.organiser_type == "body", Meeting.organiser_id == body_id),
                ),
                Meeting.starts_at >= bindparam("since"),
                Meeting.cancelled_at.is_(None),
            ),
            (Meeting.starts_at, Meeting.id),
            20,
        ),
        "draws": (
            select(Draw.id, Draw.title, Draw.drawn_at).where(Draw.body_id == body_id),
            (Draw.id.desc(),),
            None,
        ),
    }


@bp.route("/bodies/<int:body_id>/to-do")
def queue(body_id: int):
    """The body's work queue, for its chair and those who act for it: relay requests,
    sessions to hold, minutes to approve… (``hub_work_items`` with the body)."""
    body = get_body(body_id)
    require(body, "act")
    queue = workqueue.collect(current_user, body)
    return render_template(
        "bodies/queue.html",
        body=body,
        items=queue.items,
        today=local_today(),
        total=queue.total,
        overdue=queue.overdue,
    )


@bp.route("/bodies/<int:body_id>/agenda.ics")
def agenda_feed(body_id: int):
    """The sessions the body holds or that belong to it."""
    body = get_body(body_id)
    return ical_response({"objects": {("body", body.id)}}, body.name)


def _fill_body_form(form: BodyForm, body: Body | None = None):
    types = services.body_types()
    if body is not None and body.type not in types:
        types = [body.type, *types]
    form.type.choices = choices([(t, t) for t in types])
    form.neighbourhoods.choices = choices(neighbourhood_choices())


@bp.route("/bodies/new", methods=["GET", "POST"])
@permission_required("bodies.manage")
def create():
    form = BodyForm()
    _fill_body_form(form)
    if form.validate_on_submit():
        with write_transaction():
            body = Body(
                slug=unique_slug(Body, form.name.data), name=form.name.data, type=form.type.data
            )
            _apply(form, body)
            db.session.add(body)
            db.session.flush()
            emit("body.created", body)
        flash(_("The body is created."), "success")
        return redirect(url_for("bodies.show", body_id=body.id))
    return render_template(
        "bodies/edit.html", form=form, body=None
    ), 200 if not form.errors else 422


def _apply(form: BodyForm, body: Body):
    body.name = form.name.data
    body.type = form.type.data
    body.description = form.description.data or ""
    body.contact_email = form.contact_email.data or ""
    body.contact_info = form.contact_info.data or ""
    body.meeting_cadence = form.meeting_cadence.data or ""
    body.website = form.website.data or ""
    ids = form.neighbourhoods.data or []
    body.neighbourhoods = (
        list(db.session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(ids))))
        if ids
        else []
    )
    if body.commune_id is None:
        body.commune_id = db.session.scalar(select(Commune.id).order_by(Commune.id).limit(1))


@bp.route("/bodies/<int:body_id>/edit", methods=["GET", "POST"])
def edit(body_id: int):
    body = get_body(body_id)
    require(body, "edit")
    form = BodyForm(obj=body) if request.method == "GET" else BodyForm()
    if request.method == "GET":
        form.neighbourhoods.data = [n.id for n in body.neighbourhoods]
    _fill_body_form(form, body)
    if form.validate_on_submit():
        with write_transaction():
            _apply(form, body)
            audit.record("body.edited", body)
        flash(_("The page of the body is updated."), "success")
        return redirect(url_for("bodies.show", body_id=body.id))
    return render_template(
        "bodies/edit.html", form=form, body=body
    ), 200 if not form.errors else 422


# --- Members --------------------------------------------------------------------------------


@bp.route("/bodies/<int:body_id>/members", methods=["GET", "POST"])
@limit_writes("write")
def members(body_id: int):
    body = get_body(body_id)
    require(body, "members")
    form = MemberForm()
    form.role.choices = _role_choices()
    if form.validate_on_submit():
        with write_transaction():
            member = BodyMember(
                body_id=body.id,
                name=form.name.data,
                role=form.role.data,
                mandate_start=form.mandate_start.data,
                mandate_end=form.mandate_end.data,
            )
            db.session.add(member)
            db.session.flush()
            audit.record("body.member_added", member, body_id=body.id, role=member.role)
            if form.email.data:
                invitations.invite(
                    body, "member", form.email.data, actor=current_user, ref_id=member.id
                )
        # The same answer whether an account uses the address or not: the form cannot be
        # used to find out who has an account.
        flash(_("%(name)s is added to the members.", name=member.name), "success")
        if form.email.data:
            flash(invitations.notice([form.email.data]), "info")
        return redirect(url_for("bodies.members", body_id=body.id))
    all_members = db.session.scalars(
        select(BodyMember)
        .where(BodyMember.body_id == body.id)
        .order_by(BodyMember.mandate_end.is_(None).desc(), BodyMember.name)
    ).all()
    return render_template(
        "bodies/members.html",
        body=body,
        form=form,
        members=all_members,
        end_form=HubForm(),
        asked=invitations.waiting(body, "member") if current_user.is_staff else {},
        role_labels=services.ROLE_LABELS,
        today=local_today(),
    ), 200 if not form.errors else 422


@bp.route("/bodies/<int:body_id>/members/<int:member_id>/end", methods=["POST"])
def end_member(body_id: int, member_id: int):
    body = get_body(body_id)
    require(body, "members")
    member = db.session.get(BodyMember, member_id)
    if member is None or member.body_id != body.id:
        abort(404)
    require_sent()
    with write_transaction():
        member.mandate_end = local_today()
        invitations.withdraw(body, "member", member.id)
        audit.record("body.member_ended", member, body_id=body.id)
    flash(_("The mandate of %(name)s ends today.", name=member.name), "success")
    return redirect(url_for("bodies.members", body_id=body.id))


# --- Draws by lot ---------------------------------------------------------------------------


def get_draw(body: Body, draw_id: int) -> Draw:
    draw = db.session.get(Draw, draw_id)
    if draw is None or draw.body_id != body.id:
        abort(404)
    return draw


def parse_quotas(text: str) -> dict[str, int]:
    quotas = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, count = line.rpartition(":")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise DrawError(_("Write each quota as “category: seats”."))
        quotas[name.strip()] = int(count.strip())
    return quotas


def draw_message(exc: DrawError) -> str:
    """A draw's refusal in the visitor's language."""
    return _(exc.message, **exc.params) if exc.params else _(exc.message)


@bp.route("/bodies/<int:body_id>/draws/new", methods=["GET", "POST"])
@permission_required("bodies.draw")
def new_draw(body_id: int):
    body = get_body(body_id)
    form = DrawForm()
    form.not_before.description = _(
        "At least %(hours)d hours after this announcement, and after the seed is published.",
        hours=int(services.draw_delay().total_seconds() // 3600),
    )
    if form.validate_on_submit():
        try:
            quotas = parse_quotas(form.quotas.data)
            if quotas and not form.quota_column.data:
                raise DrawError(_("Give the column used for quotas."))
            raw = form.register.data.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            with write_transaction():
                draw = services.announce_draw(
                    body,
                    title=form.title.data,
                    register_text=text,
                    key_column=form.key_column.data,
                    name_column=form.name_column.data,
                    quota_column=form.quota_column.data,
                    quotas=quotas,
                    seats=form.seats.data,
                    seed_source=form.seed_source.data,
                    seed_count=form.seed_count.data,
                    not_before=form.not_before.data,
                    actor=current_user,
                )
                draw.mandate_start = form.mandate_start.data
                draw.mandate_end = form.mandate_end.data
        except DrawError as exc:
            form.register.errors = [*form.register.errors, draw_message(exc)]
        else:
            flash(_("The draw is announced: its inputs are published."), "success")
            return redirect(url_for("bodies.draw", body_id=body.id, draw_id=draw.id))
    return render_template("bodies/draw_new.html", body=body, form=form), (
        422 if form.errors else 200
    )


@bp.route("/bodies/<int:body_id>/draws/<int:draw_id>", methods=["GET", "POST"])
def draw(body_id: int, draw_id: int):
    body = get_body(body_id)
    record = get_draw(body, draw_id)
    form = PerformDrawForm()
    may_draw = current_user.is_authenticated and current_user.can("bodies.draw")
    if request.method == "POST":
        if not may_draw:
            abort(403 if current_user.is_authenticated else 401)
        if form.validate_on_submit():
            try:
                with write_transaction():
                    services.perform_draw(record, form.seed.data, current_user)
            except DrawError as exc:
                form.seed.errors = [*form.seed.errors, draw_message(exc)]
            else:
                flash(_("The draw took place."), "success")
                return redirect(url_for("bodies.draw", body_id=body.id, draw_id=record.id))
    verification = services.verify_draw(record)
    return render_template(
        "bodies/draw.html",
        body=body,
        draw=record,
        form=form,
        may_draw=may_draw,
        verification=verification,
        appoint_form=HubForm(),
        now=utcnow(),
    ), 422 if form.errors else 200


@bp.route("/bodies/<int:body_id>/draws/<int:draw_id>/appoint", methods=["POST"])
@permission_required("bodies.draw")
def appoint(body_id: int, draw_id: int):
    body = get_body(body_id)
    record = get_draw(body, draw_id)
    require_sent()
    try:
        with write_transaction():
            services.appoint_drawn(record, current_user)
    except DrawError as exc:
        fail(422, draw_message(exc))
    flash(_("The drawn people are now members of the body."), "success")
    return redirect(url_for("bodies.show", body_id=body.id))


@bp.route("/bodies/<int:body_id>/draws/<int:draw_id>/inputs.json")
def draw_inputs(body_id: int, draw_id: int):
    record = get_draw(get_body(body_id), draw_id)
    response = jsonify(services.draw_inputs(record))
    response.headers["Content-Disposition"] = f"inline; filename=tirage-{record.id}.json"
    return response


@bp.route("/bodies/<int:body_id>/draws/<int:draw_id>/verify.json")
def verify_json(body_id: int, draw_id: int):
    record = get_draw(get_body(body_id), draw_id)
    return jsonify(services.verify_draw(record))


@bp.app_template_filter("as_json")
def as_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


@bp.route("/bodies/draws/how")
def draw_doc():
    from .draw import ALGORITHM

    return render_template("bodies/draw_how.html", algorithm=ALGORITHM)
