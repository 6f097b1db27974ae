"""Home page, language switch, dashboard and static files of themes and plugins."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from .. import opendata, workqueue
from ..activity import activity_items, translate_once
from ..bodies.services import bodies_acting_for, body_names_acting_for
from ..forms import form_action
from ..i18n import LANGUAGE_COOKIE, current_timezone
from ..permissions import permission_required
from ..registry import registry
from ..sharedparts import Deferred
from ..templating import theme_path
from ..timeutil import local_today
from ..web import _foreign_content_language, long_date, safe_next

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
def home():
    return render_template("main/home.html")


@bp.route("/language/<code>")
def set_language(code: str):
    """Switch the interface language (a plain link, so it works without JavaScript)."""
    if code not in current_app.config["LOCALES"]:
        abort(404)
    response = make_response(redirect(safe_next(request.args.get("next"))))
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return response


@bp.route("/me")
@login_required
def dashboard():
    hub = current_app.extensions["hub"]
    found = [
        entry
        for entries in hub.plugins.hook("hub_user_activity")(user=current_user)
        for entry in entries or []
    ]
    items = activity_items(found)  # with the dashboard's list sections: one statement
    bodies = bodies_acting_for(current_user, "act")
    body_queues = [
        (body, queue.total, queue.overdue)
        for body, queue in zip(
            bodies, workqueue.collect_many(current_user, bodies, limit=0), strict=True
        )
    ]
    return render_template(
        "main/dashboard.html", activity=_activity_lines(items), body_queues=body_queues
    )


def _activity_lines(items) -> list[Markup]:
    """The dashboard's activity, an ``<li>`` per item, written as the template wrote each
    (``item.title|content``, ``item.date|date``…) with what those ask for each row found
    once for the list: the content's language, the time zone, each day's text and each
    label's translation (``translate_once``)."""
    text = translate_once()
    language = _foreign_content_language()
    tzinfo = current_timezone()
    days: dict = {}
    lines = []
    for item in items:
        title = item.title
        if title is None:
            title = ""
        elif language:
            title = Markup('<span lang="{}">{}</span>').format(language, title)
        else:
            title = escape(title)
        line = (
            f'<li><span class="activity__kind">{escape(text(item.kind))}</span> '
            f'<a href="{escape(item.url)}">{title}</a>'
        )
        status = text(item.status)
        if status:
            line += f" – {escape(status)}"
        moment = item.date
        if moment:
            day = moment
            if isinstance(moment, datetime):  # long_date's rebase: the day in the time zone
                day = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tzinfo)
                day = day.date()
            shown = days.get(day)
            if shown is None:
                shown = days[day] = escape(long_date(day, rebase=False))
            line += f' <time datetime="{escape(moment.isoformat())}">{shown}</time>'
        lines.append(Markup(line + "</li>"))
    return lines


QUEUE_LABELS = {
    "agent": _l("Agents"),
    "elected": _l("Elected officials"),
    "moderator": _l("Moderation"),
}


@bp.route("/staff")
@permission_required("staff.area")
def staff():
    """The staff's space: the work queue of the user's roles (``hub_work_items``), overdue
    first, then what each feature shows its staff (``hub_staff_area``).

    The queue and the sections read the same for every viewer with the same roles: they are
    shared parts, computed as the audience when rendered (``queue``, the sections), not
    when served kept; the bodies the viewer acts for are theirs."""
    role = request.args.get("role", "")
    if role not in workqueue.QUEUE_ROLES:
        role = ""
    counted = workqueue.counts_key(current_user)
    return render_template(
        "main/staff.html",
        role=role,
        queue=Deferred(lambda: _staff_queue(role, counted)),
        bodies=body_names_acting_for(current_user, "act"),
    )


def _staff_queue(role: str, counted: tuple) -> dict:
    """The queue of the roles of ``current_user`` (the audience in a shared part); its counts
    are the menu's for the viewer whose counting key is ``counted``."""
    user = current_user._get_current_object()
    queue = workqueue.items_for_roles(user, workqueue.collect(user))
    workqueue.note_counts(counted, queue)
    held = set(user.roles)
    shown = queue.of_roles({role}) if role else queue
    return {
        "items": shown.items,
        "shown_total": shown.total,
        "total": queue.total,
        "overdue": shown.overdue,
        "roles": [
            (name, QUEUE_LABELS[name], queue.count(name))
            for name in workqueue.QUEUE_ROLES
            if name in held or "admin" in held
        ],
        "today": local_today(),
    }


@bp.route("/o/<uuid>")
def canonical(uuid: str):
    """The canonical address of an object with a stable UUID (projects, relays, bodies,
    sessions, contributions, answers…): a redirect to its page."""
    obj = registry().find_by_uuid(uuid) if len(uuid) == 36 else None
    if obj is None:
        abort(404)
    object_type = registry().type_of(obj)
    if not object_type.can_view(current_user, obj):
        abort(404)
    return redirect(object_type.url(obj), code=301)


@bp.route("/theme/<path:filename>")
def theme_static(filename: str):
    folder = theme_path(current_app.config["THEME"]) / "static"
    return _static(folder, filename)


@bp.route("/plugins/<name>/static/<path:filename>")
def plugin_static(name: str, filename: str):
    plugins = current_app.extensions["hub"].plugins
    info = plugins.get(name)
    if info is None or not plugins.is_enabled(name) or info.folder("static") is None:
        abort(404)
    return _static(info.folder("static"), filename)


@bp.route("/uploads/<path:filename>")
def uploads(filename: str):
    return _static(Path(current_app.instance_path) / "uploads", filename)


def _static(folder: Path, filename: str):
    response = send_from_directory(folder, filename, max_age=3600)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/healthz")
def health():
    """For monitoring and load balancers: answers once the database does."""
    return jsonify(status="ok", generation=current_app.extensions["hub"].generation)


SEARCH_LIMIT = 20


def _moderated(results: list, query: str) -> list:
    """Search results as moderation leaves them: a text hidden by moderation shows its
    public reason instead of an extract, and is found by its title only (matching the hidden
    text would tell what it says); a text waiting for pre-moderation is not found."""
    from dataclasses import replace

    from ..moderation import services as moderation

    hidden = moderation.hidden_among(r.target for r in results)
    kept = []
    for result in results:
        decision = hidden.get(result.target) if result.target else None
        if decision is None:
            kept.append(result)
        elif not decision.pending and query.casefold() in str(result.title).casefold():
            summary = (
                _("Not published: this text was refused before a moderator read it.")
                if decision.settled
                else _("Hidden by moderation: %(reason)s", reason=decision.reason)
            )
            kept.append(replace(result, summary=summary))
    return kept


@bp.route("/search")
def search():
    """Search every feature's public objects (``hub_search``); works without JavaScript."""
    query = " ".join((request.args.get("q") or "").split())[:100]
    groups: dict[str, list] = {}
    if len(query) >= 2:
        hook = current_app.extensions["hub"].plugins.hook("hub_search")
        found = [
            result
            for results in hook(query=query, user=current_user, limit=SEARCH_LIMIT)
            for result in results or []
        ]
        for result in _moderated(found, query):
            groups.setdefault(str(result.kind), []).append(result)
    total = sum(len(items) for items in groups.values())
    return render_template("main/search.html", query=query, groups=groups, total=total)


@bp.route("/staff/newsletter", methods=["GET", "POST"])
@permission_required("notifications.newsletter")
def newsletter():
    """An agent writes to the followers of a neighbourhood or to the whole commune."""
    from . import newsletter as letters

    form = letters.NewsletterForm()
    form.audience.choices = letters.audience_choices()
    done = form_action(
        form,
        lambda: letters.send(form.audience.data, form.subject.data, form.body.data, current_user),
        success=_("The newsletter is sent."),
        redirect_to=url_for("main.newsletter"),
        field="subject",
    )
    if done is not None:
        return done
    audiences = [(c.value, c.label) for c in form.audience.choices]
    counts = {value: len(letters.recipients(value)) for value, _label in audiences}
    return render_template("main/newsletter.html", form=form, audiences=audiences, counts=counts), (
        422 if form.errors else 200
    )


@bp.route("/open-data")
def open_data():
    """Every dataset the hub publishes and the API's documentation, for people."""
    return render_template("main/open_data.html", datasets=opendata.datasets())


@bp.route("/sitemap")
def sitemap():
    """The site map: every section of the menu, the account pages and the legal pages."""
    return render_template("main/sitemap.html")
