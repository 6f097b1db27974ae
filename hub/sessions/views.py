"""The public page of a session, registration to it, and the organisers' screens: edit,
cancel, attendance and minutes (compte-rendu)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..db import write_transaction
from ..extensions import db, htmx
from ..forms import HubForm, choices
from ..registry import registry
from ..timeutil import local_now
from . import services
from .forms import AttendanceForm, CancelForm, MinutesForm, SessionForm
from .models import Meeting, MeetingRegistration
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
    """``{"url", "title"}`` of a registered object, or None."""
    if obj is None:
        return None
    object_type = registry().type_of(obj)
    return {"url": object_type.url(obj), "title": object_type.title(obj)}


def _registration_context(meeting: Meeting, message: str = "", announce: str = "") -> dict:
    registered = current_user.is_authenticated and db.session.get(
        MeetingRegistration, (meeting.id, current_user.id)) is not None
    count = services.registration_count(meeting.id)
    return dict(meeting=meeting, registered=registered, registrations=count,
                places_left=None if meeting.capacity is None else max(meeting.capacity - count, 0),
                started=meeting.starts_at <= local_now(), form=HubForm(),
                message=message, announce=announce)


@bp.route("/sessions/<int:meeting_id>")
def show(meeting_id: int):
    meeting = get_meeting(meeting_id)
    return _show(meeting)


def _show(meeting: Meeting, status: int = 200, message: str = ""):
    target = _link(services.target_of(meeting))
    return render_template("sessions/show.html", context_link=target and target["url"],
                           organiser=_link(services.organiser_of(meeting)),
                           can_organise=services.can_organise(current_user, meeting),
                           **_registration_context(meeting, message)), status


def _registration_action(meeting_id: int, action, success: str):
    meeting = get_meeting(meeting_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not HubForm().validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            action(meeting, current_user)
    except SessionRuleError as exc:
        db.session.refresh(meeting)
        if htmx:
            return render_template("sessions/_registration.html",
                                   **_registration_context(meeting, str(exc), str(exc)))
        return _show(meeting, 422, str(exc))
    if htmx:
        return render_template("sessions/_registration.html",
                               **_registration_context(meeting, announce=success))
    flash(success, "success")
    return redirect(url_for("sessions.show", meeting_id=meeting.id))


@bp.route("/sessions/<int:meeting_id>/register", methods=["POST"])
def register(meeting_id: int):
    return _registration_action(meeting_id, services.register,
                                _("You are registered for this session."))


@bp.route("/sessions/<int:meeting_id>/unregister", methods=["POST"])
def unregister(meeting_id: int):
    return _registration_action(meeting_id, services.unregister,
                                _("Your registration is cancelled."))


# --- Organisers -----------------------------------------------------------------------------

SESSION_FIELDS = ("title", "starts_at", "ends_at", "place", "online", "online_url",
                  "accessibility", "description", "registrations_open", "capacity")


@bp.route("/sessions/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    if meeting.cancelled_at is not None:
        flash(_("A cancelled session cannot be changed."), "error")
        return redirect(url_for("sessions.show", meeting_id=meeting.id))
    form = SessionForm(obj=meeting)
    if form.validate_on_submit():
        values = {name: form[name].data for name in SESSION_FIELDS}
        for name in ("place", "online_url", "accessibility", "description"):
            values[name] = values[name] or ""
        try:
            with write_transaction():
                services.update_meeting(meeting, current_user, **values)
        except SessionRuleError as exc:
            db.session.refresh(meeting)
            target = form[exc.field] if exc.field else form.title
            target.errors = [*target.errors, str(exc)]
        else:
            flash(_("The session is updated."), "success")
            return redirect(url_for("sessions.show", meeting_id=meeting.id))
    return render_template("sessions/edit.html", meeting=meeting, form=form), (
        422 if form.errors else 200)


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
    return render_template("sessions/cancel.html", meeting=meeting, form=form,
                           registrations=services.registration_count(meeting.id)), (
        422 if form.errors else 200)


@bp.route("/sessions/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    rows = services.registrations_of(meeting)
    form = AttendanceForm()
    form.present.choices = choices([(r.user_id, r.user.display_name) for r in rows])
    if request.method == "GET":
        form.attendance_count.data = meeting.attendance_count
        form.present.data = [r.user_id for r in rows if r.attended]
    error = ""
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.record_attendance(meeting, form.attendance_count.data,
                                           form.present.data or [], current_user)
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
    return render_template("sessions/attendance.html", meeting=meeting, form=form, rows=rows,
                           error=error), 422 if form.errors else 200


@bp.route("/sessions/<int:meeting_id>/minutes", methods=["GET", "POST"])
def minutes(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if (login := require_organiser(meeting)) is not None:
        return login
    if request.method == "GET":
        form = MinutesForm(objectives=meeting.minutes_objectives, method=meeting.minutes_method,
                           synthesis=meeting.minutes, next_agenda=meeting.minutes_next_agenda)
    else:
        form = MinutesForm()
    error = ""
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.save_minutes(meeting, current_user, objectives=form.objectives.data,
                                      method=form.method.data, synthesis=form.synthesis.data,
                                      next_agenda=form.next_agenda.data)
        except SessionRuleError as exc:
            form.synthesis.errors = [*form.synthesis.errors, str(exc)]
        else:
            flash(_("The minutes are published on the session page."), "success")
            return redirect(url_for("sessions.show", meeting_id=meeting.id) + "#minutes")
    elif request.method == "GET":
        try:
            services.require_held(meeting)
        except SessionRuleError as exc:
            error = str(exc)
    return render_template("sessions/minutes.html", meeting=meeting, form=form, error=error), (
        422 if form.errors else 200)
