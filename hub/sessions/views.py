"""The public page of a session, registration to it (with a waiting list), the confirmation
with its check-in code, and the organisers' screens: edit, cancel, registrations (by phone
or paper, export), check-in and attendance, and the minutes cycle."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import aliased, lazyload

from ..accounts.models import User
from ..confirm import changing, confirm_first
from ..db import write_transaction
from ..errors import RuleError
from ..extensions import db, htmx
from ..forms import HubForm, add_error, choices, form_action, require_sent
from ..registry import registry
from ..sharedparts import Deferred, personal_bit
from ..slots import ListQuery, fetch_list_rows, list_query, read_lists
from ..territory.models import Neighbourhood
from ..text import csv_response
from ..timeutil import local_now
from . import checkin, services
from . import minutes as minutes_cycle
from .forms import (
    AmendmentForm,
    AttendanceForm,
    CancelForm,
    CheckInForm,
    HeadcountForm,
    MinutesForm,
    OnBehalfForm,
    RegisterForm,
    ResolveForm,
    ReviewForm,
    SessionForm,
    WalkInForm,
)
from .ical import ACCESS_LABELS, MODE_LABELS, accessibility_text, public_location, session_ics
from .models import (
    ACCESS_FEATURES,
    Meeting,
    MeetingRegistration,
    MinutesAmendment,
    meeting_neighbourhood,
)
from .services import SessionRuleError

bp = Blueprint("sessions", __name__, template_folder="templates")


def get_meeting(meeting_id: int) -> Meeting:
    return db.session.get(Meeting, meeting_id) or abort(404)


def require_organiser(meeting: Meeting):
    """None when the visitor organises the session; else the login redirect (raises 403 for
    others)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not services.can_organise(current_user, meeting):
        abort(403)
    return None


def _link(obj):
    """``{"url", "title"}`` of a registered object, or None (also when the plugin that
    declares it is switched off: its page is gone)."""
    if obj is None:
        return None
    object_type = registry().type_of(obj)
    if object_type.switched_off():
        return None
    return {"url": object_type.url(obj), "title": object_type.title(obj)}


def _registration_context(
    meeting: Meeting, message: str = "", announce: str = "", form=None
) -> dict:
    mine, counts = _registration_state(meeting)
    seats = meeting.public_seats
    return dict(
        meeting=meeting,
        mine=mine,
        registered=mine is not None and mine.status == services.REGISTERED,
        position=mine.position if mine else None,
        registrations=counts[services.REGISTERED],
        waiting=counts[services.WAITLISTED],
        places_left=None if seats is None else max(seats - counts["registered"], 0),
        started=meeting.starts_at <= local_now(),
        form=form or RegisterForm(),
        message=message,
        announce=announce,
    )


def _registration_state(meeting: Meeting):
    """The viewer's registration (a row: ``status``, ``position`` on the waiting list) or
    None, and the session's counts by status, in one statement built once per worker."""
    built = _registration_lists()
    values = {"meeting_id": meeting.id}
    lists = [ListQuery(*built["counts"], params=values)]
    if current_user.is_authenticated:
        lists.append(ListQuery(*built["mine"], params={**values, "user_id": current_user.id}))
    found = fetch_list_rows(lists)
    counts = {services.REGISTERED: 0, services.WAITLISTED: 0}
    for row in found[0]:
        counts[row.status] = row.n
    mine = found[1][0] if len(found) > 1 and found[1] else None
    return mine, counts


@list_query
def _registration_lists() -> dict[str, tuple]:
    """The counts of a session's registrations by status, and a viewer's registration with
    their place on the waiting list (as ``services.waitlist_position``)."""
    meeting_id = bindparam("meeting_id")
    earlier = aliased(MeetingRegistration)
    position = (
        select(func.count(earlier.id))
        .where(
            earlier.meeting_id == MeetingRegistration.meeting_id,
            earlier.status == services.WAITLISTED,
            earlier.id <= MeetingRegistration.id,
        )
        .scalar_subquery()
    )
    return {
        "counts": (
            select(MeetingRegistration.status, func.count(MeetingRegistration.id).label("n"))
            .where(MeetingRegistration.meeting_id == meeting_id)
            .group_by(MeetingRegistration.status),
            (MeetingRegistration.status,),
        ),
        "mine": (
            select(
                MeetingRegistration.id,
                MeetingRegistration.status,
                case((MeetingRegistration.status == services.WAITLISTED, position)).label(
                    "position"
                ),
            ).where(
                MeetingRegistration.meeting_id == meeting_id,
                MeetingRegistration.user_id == bindparam("user_id"),
            ),
            (MeetingRegistration.id,),
        ),
    }


def _json_ld(meeting: Meeting, organiser) -> Markup:
    """schema.org ``Event`` of the session (rendered as a JSON data block, never run)."""
    base = (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")
    mode = meeting.attendance_mode
    attendance = {
        "in_person": "OfflineEventAttendanceMode",
        "online": "OnlineEventAttendanceMode",
        "hybrid": "MixedEventAttendanceMode",
    }[mode]
    if meeting.cancelled_at is not None:
        status = "EventCancelled"
    elif meeting.previous_starts_at is not None:
        status = "EventRescheduled"
    else:
        status = "EventScheduled"
    from ..timeutil import hub_timezone

    zone = hub_timezone()
    page = base + url_for("sessions.show", meeting_id=meeting.id)
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": meeting.title,
        "startDate": meeting.starts_at.replace(tzinfo=zone).isoformat(),
        "eventStatus": f"https://schema.org/{status}",
        "eventAttendanceMode": f"https://schema.org/{attendance}",
        "url": page,
        "isAccessibleForFree": True,
    }
    if meeting.ends_at:
        data["endDate"] = meeting.ends_at.replace(tzinfo=zone).isoformat()
    if meeting.previous_starts_at is not None:
        data["previousStartDate"] = meeting.previous_starts_at.replace(tzinfo=zone).isoformat()
    if meeting.description:
        data["description"] = meeting.description[:500]
    locations = []
    if mode != "online" and meeting.place:
        place = {"@type": "Place", "name": meeting.place, "address": meeting.place}
        features = [
            {"@type": "LocationFeatureSpecification", "name": str(ACCESS_LABELS[f]), "value": True}
            for f in ACCESS_FEATURES
            if f in (meeting.access_features or [])
        ]
        if features:
            place["amenityFeature"] = features
        locations.append(place)
    if mode != "in_person":
        locations.append({"@type": "VirtualLocation", "url": page})
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if organiser is not None:
        link = _link(organiser)
        data["organizer"] = {
            "@type": "Organization",
            "name": link["title"],
            "url": base + link["url"],
        }
    if meeting.capacity:
        data["maximumAttendeeCapacity"] = meeting.capacity
    text = json.dumps(data, ensure_ascii=False)
    # A data block: "<" escaped so that no text can close the element.
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@bp.route("/sessions/<int:meeting_id>")
def show(meeting_id: int):
    # Its neighbourhoods are left to the page's shared part (``data``).
    meeting = db.session.get(
        Meeting, meeting_id, options=[lazyload(Meeting.neighbourhoods)]
    ) or abort(404)
    return _show(meeting)


def _show(meeting: Meeting, status: int = 200, message: str = "", form=None):
    """The session's page. What every viewer sees alike (``data``: what it is about, who
    organises it, its neighbourhoods, its public participants, its JSON-LD) is read only
    when a shared part of the page is rendered, not when it is served kept
    (hub.sharedparts); the viewer's registration and what they may do, for each."""
    context = _registration_context(meeting, message, form=form)
    g.hub_session_registered = {meeting.id: context["registered"]}
    # Read for every viewer all the same (lean: a row and its joined relations): who may
    # organise is asked of them, and the features' sections show them.
    target, organiser = services.target_of(meeting), services.organiser_of(meeting)
    return render_template(
        "sessions/show.html",
        data=Deferred(lambda: _shared_data(meeting, target, organiser)),
        can_organise=services.can_organise(current_user, meeting),
        minutes_status=minutes_cycle.STATUS_LABELS.get(meeting.minutes_status or "", ""),
        can_amend=minutes_cycle.review_open(meeting)
        and minutes_cycle.can_amend(current_user, meeting),
        sections=minutes_cycle.SECTION_LABELS,
        **context,
    ), status


def _shared_data(meeting: Meeting, target, organiser) -> dict:
    target = _link(target)
    found = read_lists(
        {
            name: ListQuery(query, order_by=order_by, params={"meeting_id": meeting.id})
            for name, (query, order_by) in _lists_built().items()
        }
    )
    participants = []
    for row in found["participants"]:
        shown = row.display_name if row.user_id is not None else row.name
        if shown:
            participants.append(shown)
    return dict(
        context_link=target and target["url"],
        context_title=target and target["title"],
        organiser=_link(organiser),
        json_ld=_json_ld(meeting, organiser),
        mode_label=MODE_LABELS[meeting.attendance_mode],
        access_labels=[
            ACCESS_LABELS[f] for f in ACCESS_FEATURES if f in (meeting.access_features or [])
        ],
        location=public_location(meeting),
        neighbourhoods=[row.name for row in found["neighbourhoods"]],
        participants=participants,
    )


@list_query
def _lists_built() -> dict[str, tuple]:
    """The page's shared lists as plain rows, in one statement: the session's
    neighbourhoods' names, and its public participants (as
    ``services.public_participants``)."""
    meeting_id = bindparam("meeting_id")
    return {
        "neighbourhoods": (
            select(Neighbourhood.name)
            .join(
                meeting_neighbourhood,
                meeting_neighbourhood.c.neighbourhood_id == Neighbourhood.id,
            )
            .where(meeting_neighbourhood.c.meeting_id == meeting_id),
            (Neighbourhood.name,),
        ),
        "participants": (
            select(
                MeetingRegistration.user_id,
                User.display_name,
                MeetingRegistration.name,
            )
            .select_from(MeetingRegistration)
            .outerjoin(User, User.id == MeetingRegistration.user_id)
            .where(
                MeetingRegistration.meeting_id == meeting_id,
                MeetingRegistration.status == services.REGISTERED,
                MeetingRegistration.public_name.is_(True),
            ),
            (MeetingRegistration.id,),
        ),
    }


@personal_bit("sessions.online_link")
def _online_link(meeting_id: int, online_url: str) -> str:
    """After the place of a session held online: its link for who is registered, else a
    hint that registered people get it (the session's page)."""
    if not online_url:
        return ""
    registered = g.get("hub_session_registered", {}).get(meeting_id)
    if registered is None:
        registered = services.is_registered(db.session.get(Meeting, meeting_id), current_user)
    if registered:
        return Markup(' – <a href="{}">{}</a>').format(online_url, _("Join online"))
    return Markup(' <span class="hint">({})</span>').format(
        _("the link is given to registered people")
    )


def _registration_action(meeting_id: int, action, success):
    meeting = get_meeting(meeting_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    form = RegisterForm()
    require_sent(form)
    try:
        with write_transaction():
            message = action(meeting, current_user, form)
    except SessionRuleError as exc:
        db.session.rollback()
        db.session.refresh(meeting)
        if htmx:
            return render_template(
                "sessions/_registration.html", **_registration_context(meeting, str(exc), str(exc))
            )
        return _show(meeting, 422 if exc.status in (409, 422) else exc.status, str(exc))
    message = message or success
    if htmx:
        return render_template(
            "sessions/_registration.html", **_registration_context(meeting, announce=message)
        )
    flash(message, "success")
    mine = services.registration_of(meeting, current_user)
    if mine is not None:
        return redirect(url_for("sessions.my_registration", meeting_id=meeting.id))
    return redirect(url_for("sessions.show", meeting_id=meeting.id))


def _join(meeting, user, form):
    try:
        row = services.join(meeting, user, public_name=form.public_name.data)
    except services.AlreadyRegistered:
        return None
    if row.status == services.WAITLISTED:
        return _(
            "The session is full: you are number %(n)d on the waiting list. We will "
            "write to you if a seat frees up.",
            n=services.waitlist_position(row),
        )
    return _("You are registered for this session.")


def _leave(meeting, user, form):
    row = services.registration_of(meeting, user)
    if row is not None:
        services.leave(meeting, row, user)
    return _("Your registration is cancelled.")


@bp.route("/sessions/<int:meeting_id>/register", methods=["POST"])
def register(meeting_id: int):
    return _registration_action(meeting_id, _join, _("You are registered for this session."))


@bp.route("/sessions/<int:meeting_id>/unregister", methods=["POST"])
def unregister(meeting_id: int):
    return _registration_action(meeting_id, _leave, _("Your registration is cancelled."))


@bp.route("/sessions/<int:meeting_id>/my-registration")
def my_registration(meeting_id: int):
    """The confirmation: status, check-in code and its QR code, the online link."""
    meeting = get_meeting(meeting_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    mine = services.registration_of(meeting, current_user)
    if mine is None:
        flash(_("You are not registered for this session."), "info")
        return redirect(url_for("sessions.show", meeting_id=meeting.id))
    qr = None
    if mine.status == services.REGISTERED and mine.checkin_code:
        qr = checkin.qr_svg(
            services.checkin_url(meeting, mine.checkin_code),
            _("QR code of your check-in code %(code)s", code=checkin.grouped(mine.checkin_code)),
        )
    response = current_app.make_response(
        render_template(
            "sessions/my_registration.html",
            meeting=meeting,
            mine=mine,
            qr=qr,
            code=checkin.grouped(mine.checkin_code or ""),
            location=public_location(meeting),
            position=services.waitlist_position(mine),
            form=RegisterForm(),
            started=meeting.starts_at <= local_now(),
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/sessions/<int:meeting_id>.ics")
def ics(meeting_id: int):
    meeting = get_meeting(meeting_id)
    response = Response(session_ics(meeting), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename=session-{meeting.id}.ics"
    return response


# --- Organisers -----------------------------------------------------------------------------

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


@bp.route("/sessions/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    if meeting.cancelled_at is not None:
        flash(_("A cancelled session cannot be changed."), "error")
        return redirect(url_for("sessions.show", meeting_id=meeting.id))
    form = SessionForm(obj=meeting)
    if request.method == "GET":
        form.mode.data = meeting.attendance_mode
    if form.validate_on_submit():
        values = {name: form[name].data for name in SESSION_FIELDS}
        for name in ("place", "online_url", "accessibility", "description"):
            values[name] = values[name] or ""
        values["reserved_seats"] = values["reserved_seats"] or 0
        if not form.mode.raw_data:
            values.pop("mode")  # older forms (relays) say "online" only
        try:
            with write_transaction():
                services.update_meeting(meeting, current_user, **values)
        except SessionRuleError as exc:
            db.session.refresh(meeting)
            add_error(form, exc.message, exc.field or "title")
        else:
            flash(_("The session is updated."), "success")
            return redirect(url_for("sessions.show", meeting_id=meeting.id))
    return render_template("sessions/edit.html", meeting=meeting, form=form), (
        422 if form.errors else 200
    )


@bp.route("/sessions/<int:meeting_id>/cancel", methods=["GET", "POST"])
def cancel(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    form = CancelForm()
    if meeting.cancelled_at is None and form.validate_on_submit():
        try:
            with write_transaction():
                services.cancel_meeting(meeting, form.reason.data, current_user)
        except SessionRuleError as exc:
            form.reason.errors = [*form.reason.errors, str(exc)]
        else:
            flash(_("The session is cancelled; registered residents are told why."), "success")
            return redirect(url_for("sessions.show", meeting_id=meeting.id))
    return render_template(
        "sessions/cancel.html",
        meeting=meeting,
        form=form,
        registrations=services.registration_count(meeting.id),
    ), (422 if form.errors else 200)


@bp.route("/sessions/<int:meeting_id>/registrations", methods=["GET", "POST"])
def registrations(meeting_id: int):
    """Who is registered and waiting; registering someone by phone or on paper."""
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    form = OnBehalfForm()
    done = form_action(
        form,
        lambda: services.register_on_behalf(
            meeting,
            current_user,
            name=form.name.data,
            contact=form.contact.data,
            channel=form.channel.data,
        ),
        success=_("The registration is recorded."),
        redirect_to=url_for("sessions.registrations", meeting_id=meeting.id),
    )
    if done is not None:
        return done
    rows = services.registrations_of(meeting, status=None)
    positions = {}
    for row in rows:
        if row.status == services.WAITLISTED:
            positions[row.id] = len(positions) + 1
    return render_template(
        "sessions/registrations.html",
        meeting=meeting,
        form=form,
        rows=rows,
        positions=positions,
        remove_form=HubForm(),
        started=meeting.starts_at <= local_now(),
    ), (422 if form.errors else 200)


@bp.route("/sessions/<int:meeting_id>/registrations/<int:registration_id>/remove", methods=["POST"])
def remove_registration(meeting_id: int, registration_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    row = db.session.get(MeetingRegistration, registration_id)
    if row is None or row.meeting_id != meeting.id:
        abort(404)
    form = HubForm()
    require_sent(form)
    try:
        with write_transaction():
            services.leave(meeting, row, current_user)
    except SessionRuleError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The registration is cancelled."), "success")
    return redirect(url_for("sessions.registrations", meeting_id=meeting.id))


@bp.route("/sessions/<int:meeting_id>/registrations.csv")
def registrations_csv(meeting_id: int):
    """Personal data: organisers only, and every export is audited."""
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    with write_transaction():
        services.audit_export(meeting, current_user, "csv")
    # Read after the audit's commit, which expires what was read before it.
    rows = services.registrations_of(meeting, status=None)
    positions = services.waitlist_positions(rows)
    response = csv_response(
        [
            "status",
            "position",
            "name",
            "email",
            "contact",
            "channel",
            "registered_at",
            "checked_in",
        ],
        [
            [
                r.status,
                positions.get(r.id, ""),
                r.shown_name,
                r.user.email if r.user is not None else "",
                r.contact,
                r.channel,
                r.created_at.isoformat(timespec="seconds") + "Z",
                "yes" if r.attended else "",
            ]
            for r in rows
        ],
        f"session-{meeting.id}-registrations.csv",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _attendance_context(meeting: Meeting) -> dict:
    rows = services.registrations_of(meeting)
    door = ""
    try:
        services.require_door_open(meeting)
    except SessionRuleError as exc:
        door = str(exc)
    headcount = HeadcountForm(formdata=None, headcount=meeting.extra_attendees or 0)
    return dict(
        meeting=meeting,
        rows=rows,
        walk_ins=services.walk_ins_of(meeting),
        summary=services.attendance_summary(meeting),
        door=door,
        code_form=CheckInForm(formdata=None, code=request.args.get("code", "")),
        walk_in_form=WalkInForm(formdata=None),
        headcount_form=headcount,
        tick_form=HubForm(),
    )


@bp.route("/sessions/<int:meeting_id>/check-in", methods=["GET", "POST"])
def check_in(meeting_id: int):
    """Check people in at the door: by code (typed, or the QR code's link), by name on the
    list, named walk-ins and a headcount of the others."""
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    context = _attendance_context(meeting)
    if request.method == "POST":
        form = CheckInForm()
        context["code_form"] = form
        checked = []  # the person at the door is named back, so the wrong code shows at once
        done = form_action(
            form,
            lambda: checked.append(services.check_in(meeting, form.code.data, current_user)),
            redirect_to=url_for("sessions.check_in", meeting_id=meeting.id),
        )
        if done is not None:
            flash(_("%(name)s is checked in. Welcome!", name=checked[0].shown_name), "success")
            return done
        context.update({k: v for k, v in _attendance_context(meeting).items() if k != "code_form"})
        return render_template("sessions/check_in.html", **context), 422
    return render_template("sessions/check_in.html", **context)


@bp.route("/sessions/<int:meeting_id>/check-in/<int:registration_id>", methods=["POST"])
def tick(meeting_id: int, registration_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    row = db.session.get(MeetingRegistration, registration_id)
    if row is None or row.meeting_id != meeting.id or row.status != services.REGISTERED:
        abort(404)
    require_sent()
    present = request.form.get("present") == "1"
    try:
        with write_transaction():
            services.set_present(meeting, row, present, current_user)
    except SessionRuleError as exc:
        flash(str(exc), "error")
    return redirect(url_for("sessions.check_in", meeting_id=meeting.id) + "#attendance-list")


@bp.route("/sessions/<int:meeting_id>/walk-ins", methods=["POST"])
def walk_in(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    form = WalkInForm()
    done = form_action(
        form,
        lambda: services.add_walk_in(meeting, form.name.data, current_user),
        success=_("The person is counted present."),
        redirect_to=url_for("sessions.check_in", meeting_id=meeting.id),
    )
    if done is not None:
        return done
    context = _attendance_context(meeting)
    context["walk_in_form"] = form
    return render_template("sessions/check_in.html", **context), 422


@bp.route("/sessions/<int:meeting_id>/headcount", methods=["POST"])
def headcount(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    form = HeadcountForm()
    done = form_action(
        form,
        lambda: services.set_headcount(meeting, form.headcount.data, current_user),
        success=_("The headcount is recorded."),
        redirect_to=url_for("sessions.check_in", meeting_id=meeting.id),
    )
    if done is not None:
        return done
    context = _attendance_context(meeting)
    context["headcount_form"] = form
    return render_template("sessions/check_in.html", **context), 422


@bp.route("/sessions/<int:meeting_id>/attendance-sheet")
def attendance_sheet(meeting_id: int):
    """A printable sheet: registered people to tick, blank lines for walk-ins."""
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    response = current_app.make_response(
        render_template(
            "sessions/attendance_sheet.html",
            meeting=meeting,
            rows=services.registrations_of(meeting),
            walk_ins=services.walk_ins_of(meeting),
            location=public_location(meeting),
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/sessions/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    rows = services.registrations_of(meeting)
    form = AttendanceForm()
    form.present.choices = choices([(r.user_id, r.shown_name) for r in rows if r.user_id])
    if request.method == "GET":
        form.attendance_count.data = meeting.attendance_count
        form.present.data = [r.user_id for r in rows if r.attended]
    error = ""
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.record_attendance(
                    meeting, form.attendance_count.data, form.present.data or [], current_user
                )
        except SessionRuleError as exc:
            form.attendance_count.errors = [*form.attendance_count.errors, str(exc)]
        else:
            flash(_("Attendance is recorded."), "success")
            return redirect(url_for("sessions.show", meeting_id=meeting.id))
    elif request.method == "GET":
        try:
            services.require_held(meeting)
        except SessionRuleError as exc:
            error = str(exc)
    return render_template(
        "sessions/attendance.html", meeting=meeting, form=form, rows=rows, error=error
    ), 422 if form.errors else 200


# --- Minutes --------------------------------------------------------------------------------


def _minutes_access(meeting: Meeting):
    """Who may read the minutes (:func:`minutes_cycle.can_read`): None when allowed, else a
    response (login) or 403."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if minutes_cycle.can_read(current_user, meeting):
        return None
    abort(403)


def _minutes_page(
    meeting: Meeting,
    *,
    form=None,
    review_form=None,
    amendment_form=None,
    error: str = "",
    status: int = 200,
):
    organiser = services.can_organise(current_user, meeting)
    if form is None:
        form = MinutesForm(
            formdata=None,
            **{
                "objectives": meeting.minutes_objectives,
                "method": meeting.minutes_method,
                "synthesis": meeting.minutes,
                "questions": meeting.minutes_questions,
                "proposals": meeting.minutes_proposals,
                "next_agenda": meeting.minutes_next_agenda,
            },
        )
        if not meeting.minutes_objectives and not meeting.minutes_version:
            form.objectives.data = meeting.description
    if not error:
        try:
            services.require_held(meeting)
        except SessionRuleError as exc:
            error = str(exc)
    resolve_forms = {
        a.id: ResolveForm(formdata=None, prefix=f"a{a.id}")
        for a in minutes_cycle.amendments_of(meeting, "open")
    }
    return render_template(
        "sessions/minutes.html",
        meeting=meeting,
        form=form,
        error=error,
        organiser=organiser,
        review_form=review_form or ReviewForm(formdata=None),
        amendment_form=amendment_form or AmendmentForm(formdata=None),
        amendments=minutes_cycle.amendments_of(meeting),
        resolve_forms=resolve_forms,
        action_form=HubForm(),
        review_open=minutes_cycle.review_open(meeting),
        can_amend=minutes_cycle.review_open(meeting)
        and minutes_cycle.can_amend(current_user, meeting),
        sections=minutes_cycle.SECTION_LABELS,
        status_label=minutes_cycle.STATUS_LABELS.get(meeting.minutes_status or "", ""),
        summary=services.attendance_summary(meeting),
    ), status


@bp.route("/sessions/<int:meeting_id>/minutes", methods=["GET", "POST"])
def minutes(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if request.method == "POST":
        if (login := require_organiser(meeting)) is not None:
            return login
        form = MinutesForm()
        done = form_action(
            form,
            lambda: services.save_draft(
                meeting,
                current_user,
                {
                    key: form[key].data
                    for key in (
                        "objectives",
                        "method",
                        "synthesis",
                        "questions",
                        "proposals",
                        "next_agenda",
                    )
                },
                form.note.data,
            ),
            success=_("The minutes are saved (version kept)."),
            redirect_to=url_for("sessions.minutes", meeting_id=meeting.id),
            field="synthesis",
        )
        if done is not None:
            return done
        return _minutes_page(meeting, form=form, status=422)
    if (login := _minutes_access(meeting)) is not None:
        return login
    return _minutes_page(meeting)


def _minutes_step(meeting_id: int, step, success: str, form=None, confirm=None):
    """``confirm``: a function of the meeting giving the step's rule check and
    :func:`hub.confirm.confirm_first`'s arguments, for a step that cannot be undone
    (approving, publishing)."""
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    form = form or HubForm()
    if not form.validate_on_submit():
        if not form.errors or set(form.errors) == {"csrf_token"}:
            require_sent(form)
        return _minutes_page(
            meeting, review_form=form if isinstance(form, ReviewForm) else None, status=422
        )
    if confirm is not None:
        if changing():
            return redirect(url_for("sessions.minutes", meeting_id=meeting.id))
        check, arguments = confirm(meeting)
        try:  # a refusal comes before the confirmation, not after it
            page = confirm_first(form, check=lambda: check(meeting), **arguments)
        except RuleError as exc:
            db.session.refresh(meeting)
            return _minutes_page(meeting, error=exc.message, status=422)
        if page is not None:
            return page
    try:
        with write_transaction():
            step(meeting, form)
    except RuleError as exc:
        db.session.refresh(meeting)
        if isinstance(form, ReviewForm) and exc.field == "days":
            form.days.errors = [*form.days.errors, exc.message]
            return _minutes_page(meeting, review_form=form, status=422)
        return _minutes_page(meeting, error=exc.message, status=422)
    flash(success, "success")
    return redirect(url_for("sessions.minutes", meeting_id=meeting.id))


@bp.route("/sessions/<int:meeting_id>/minutes/review", methods=["POST"])
def minutes_review(meeting_id: int):
    return _minutes_step(
        meeting_id,
        lambda m, f: services.open_review(m, current_user, f.days.data),
        _("The draft is sent to the participants."),
        form=ReviewForm(),
    )


@bp.route("/sessions/<int:meeting_id>/minutes/close-review", methods=["POST"])
def minutes_close_review(meeting_id: int):
    return _minutes_step(
        meeting_id,
        lambda m, f: services.close_review(m, current_user),
        _("The amendment period is over."),
    )


@bp.route("/sessions/<int:meeting_id>/minutes/approve", methods=["POST"])
def minutes_approve(meeting_id: int):
    return _minutes_step(
        meeting_id,
        lambda m, f: services.approve_minutes(m, current_user),
        _("The minutes are approved."),
        confirm=lambda m: (
            minutes_cycle.check_approval,
            {
                "heading": _("Approve these minutes?"),
                "about": m.title,
                "about_url": url_for("sessions.minutes", meeting_id=m.id),
                "consequence": _(
                    "Once approved, the minutes are final: their text and amendments can no longer "
                    "change, and they may then be published."
                ),
                "submit": _("Approve the minutes"),
            },
        ),
    )


@bp.route("/sessions/<int:meeting_id>/minutes/publish", methods=["POST"])
def minutes_publish(meeting_id: int):
    return _minutes_step(
        meeting_id,
        lambda m, f: services.publish_minutes(m, current_user),
        _("The minutes are published on the session page."),
        confirm=lambda m: (
            minutes_cycle.check_publication,
            {
                "heading": _("Publish these minutes?"),
                "about": m.title,
                "about_url": url_for("sessions.minutes", meeting_id=m.id),
                "consequence": _(
                    "Once published, the approved minutes are public on the session page and the "
                    "participants are told. They cannot be withdrawn."
                ),
                "submit": _("Publish the minutes"),
            },
        ),
    )


@bp.route("/sessions/<int:meeting_id>/minutes/amendments", methods=["POST"])
def minutes_amend(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not (
        services.can_organise(current_user, meeting)
        or minutes_cycle.can_amend(current_user, meeting)
    ):
        abort(403)
    form = AmendmentForm()
    done = form_action(
        form,
        lambda: services.propose_amendment(
            meeting,
            current_user,
            section=form.section.data,
            comment=form.comment.data,
            proposed_text=form.proposed_text.data,
        ),
        success=_("Thank you: your amendment is sent to the organisers."),
        redirect_to=url_for("sessions.minutes", meeting_id=meeting.id) + "#amendments",
        field="comment",
    )
    if done is not None:
        return done
    return _minutes_page(meeting, amendment_form=form, status=422)


@bp.route("/sessions/<int:meeting_id>/minutes/amendments/<int:amendment_id>", methods=["POST"])
def minutes_resolve(meeting_id: int, amendment_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    amendment = db.session.get(MinutesAmendment, amendment_id)
    if amendment is None or amendment.meeting_id != meeting.id:
        abort(404)
    form = ResolveForm(prefix=f"a{amendment.id}")
    done = form_action(
        form,
        lambda: services.resolve_amendment(
            amendment, form.decision.data == "accept", form.reply.data, current_user
        ),
        success=_("The amendment is answered."),
        redirect_to=url_for("sessions.minutes", meeting_id=meeting.id) + "#amendments",
        field="reply",
    )
    if done is not None:
        return done
    errors = " ".join(str(m) for messages in form.errors.values() for m in messages)
    return _minutes_page(meeting, error=errors, status=422)


def _versions_access(meeting: Meeting):
    """Published minutes: their history is public. Before: organisers and participants."""
    if meeting.minutes_status == "published":
        return None
    return _minutes_access(meeting)


@bp.route("/sessions/<int:meeting_id>/minutes/versions")
def minutes_versions(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := _versions_access(meeting)) is not None:
        return login
    versions = services.minutes_versions(meeting)
    by_number = {v.number: v for v in versions}
    new = by_number.get(request.args.get("to", type=int) or meeting.minutes_version)
    old = by_number.get(request.args.get("from", type=int) or (new.number - 1 if new else 0))
    changes = services.diff_versions(old, new) if old is not None and new is not None else None
    return render_template(
        "sessions/minutes_versions.html",
        meeting=meeting,
        versions=versions,
        old=old,
        new=new,
        changes=changes,
        status_labels=minutes_cycle.STATUS_LABELS,
    )


def _export_access(meeting: Meeting):
    if meeting.minutes_status == "published":
        return None
    return _minutes_access(meeting)


@bp.route("/sessions/<int:meeting_id>/minutes.md")
def minutes_md(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := _export_access(meeting)) is not None:
        return login
    if not meeting.minutes_version:
        abort(404)
    response = Response(services.minutes_markdown(meeting), mimetype="text/markdown")
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=compte-rendu-session-{meeting.id}.md"
    )
    return response


@bp.route("/sessions/<int:meeting_id>/minutes.html")
def minutes_html(meeting_id: int):
    """The minutes as a standalone printable HTML document."""
    meeting = get_meeting(meeting_id)
    if (login := _export_access(meeting)) is not None:
        return login
    if not meeting.minutes_version:
        abort(404)
    return render_template(
        "sessions/minutes_document.html",
        meeting=meeting,
        sections=minutes_cycle.SECTION_LABELS,
        status_label=minutes_cycle.STATUS_LABELS.get(meeting.minutes_status or "", ""),
        location=public_location(meeting),
        access=accessibility_text(meeting),
        download=request.args.get("download") == "1",
    )


def init_app(app) -> None:
    from .cli import sessions_group

    app.cli.add_command(sessions_group)
