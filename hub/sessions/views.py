"""The public page of a session, and registration to it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import audit
from ..db import write_transaction
from ..extensions import db
from ..forms import HubForm
from .models import Meeting, MeetingRegistration

bp = Blueprint("sessions", __name__, template_folder="templates")


def _context_link(meeting: Meeting):
    if meeting.context_type == "relay" and meeting.project_id:
        return url_for("projects.relay", project_id=meeting.project_id,
                       relay_id=meeting.context_id)
    if meeting.project_id:
        return url_for("projects.show", project_id=meeting.project_id)
    return None


@bp.route("/sessions/<int:meeting_id>")
def show(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id) or abort(404)
    registered = current_user.is_authenticated and db.session.get(
        MeetingRegistration, (meeting.id, current_user.id)) is not None
    count = db.session.scalar(select(func.count()).select_from(MeetingRegistration).where(
        MeetingRegistration.meeting_id == meeting.id)) or 0
    return render_template("sessions/show.html", meeting=meeting, registered=registered,
                           registrations=count, form=HubForm(),
                           context_link=_context_link(meeting))


@bp.route("/sessions/<int:meeting_id>/register", methods=["POST"])
@login_required
def register(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id) or abort(404)
    form = HubForm()
    if not form.validate_on_submit() or not meeting.registrations_open or meeting.cancelled_at:
        abort(400)
    with write_transaction():
        if db.session.get(MeetingRegistration, (meeting.id, current_user.id)) is None:
            db.session.add(MeetingRegistration(meeting_id=meeting.id, user_id=current_user.id))
            audit.record("session.registered", meeting)
    flash(_("You are registered for this session."), "success")
    return redirect(url_for("sessions.show", meeting_id=meeting.id))
