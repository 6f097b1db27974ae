"""Admin pages."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts.models import User, UserRole
from ..audit import AuditEntry
from ..db import write_transaction
from ..extensions import db
from ..files import private_folder, save_upload
from ..permissions import permission_required
from ..pluginmanager import set_plugin_enabled
from .forms import ROLE_LABELS, PluginToggleForm, RolesForm, settings_form_class

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
PAGE_SIZE = 50


def _hub():
    return current_app.extensions["hub"]


@bp.route("/")
@permission_required("admin.access")
def index():
    counts = {
        "users": db.session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None))),
        "verified": db.session.scalar(
            select(func.count(User.id)).where(
                User.residence_verified_at.is_not(None), User.deleted_at.is_(None)
            )
        ),
    }
    return render_template("admin/index.html", counts=counts)


SECTION_TITLES = {"general": _l("Settings"), "legal": _l("Legal pages and accessibility statement")}


@bp.route("/settings", methods=["GET", "POST"])
@bp.route("/settings/<section>", methods=["GET", "POST"])
@permission_required("admin.access")
def settings(section: str = "general"):
    registry = _hub().settings
    declarations = [s for s in registry.declarations.values() if s.section == section]
    if not declarations:
        abort(404)
    form_class = settings_form_class(declarations, with_logo=section == "general")
    form = form_class(data={s.key: _as_form_value(s, registry.get(s.key)) for s in declarations})
    if form.validate_on_submit():
        with write_transaction():
            changed = []
            for setting in declarations:
                if setting.key == "logo":
                    continue
                value = _from_form_value(setting, form[setting.key].data)
                if value != registry.get(setting.key):
                    registry.set(setting.key, value)
                    changed.append(setting.key)
            upload = form.logo_file.data if section == "general" else None
            if upload and getattr(upload, "filename", ""):
                suffix = Path(upload.filename).suffix.lower()
                folder = private_folder(Path(current_app.instance_path) / "uploads")
                save_upload(upload, folder / f"logo{suffix}")
                registry.set("logo", f"logo{suffix}")
                changed.append("logo")
            audit.record(
                "admin.settings_changed", object_type="settings", keys=changed, section=section
            )
        flash(_("Settings saved."), "success")
        return redirect(
            url_for("admin.settings", section=section)
            if section != "general"
            else url_for("admin.settings")
        )
    return render_template(
        "admin/settings.html",
        form=form,
        declarations=declarations,
        title=SECTION_TITLES.get(section, section),
    ), (422 if form.errors else 200)


def _as_form_value(setting, value):
    if setting.type == "list":
        return "\n".join(value or [])
    return value


def _from_form_value(setting, value):
    if setting.type == "list":
        return [line.strip() for line in (value or "").splitlines() if line.strip()]
    if setting.type == "bool":
        return bool(value)
    return value


@bp.route("/users")
@permission_required("admin.access")
def users():
    query = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = select(User).options(selectinload(User.role_rows)).where(User.deleted_at.is_(None))
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.email).like(pattern), func.lower(User.display_name).like(pattern))
        )
    if role in ROLE_LABELS and role != "resident":
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    if query:
        audit.record_search("admin.users", query, total)
    rows = db.session.scalars(
        stmt.order_by(User.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "admin/users.html",
        users=rows,
        query=query,
        role=role,
        page=page,
        total=total,
        page_size=PAGE_SIZE,
        role_labels=ROLE_LABELS,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("admin.access")
def user_detail(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at:
        abort(404)
    form = RolesForm(data={"roles": sorted(user.roles - {"resident"})})
    if form.validate_on_submit():
        new_roles = set(form.roles.data)
        if user.id == current_user.id and "admin" not in new_roles:
            form.roles.errors.append(_("You cannot remove your own administrator role."))
        else:
            with write_transaction():
                before = sorted(user.roles)
                user.set_roles(new_roles)
                audit.record("admin.roles_changed", user, before=before, after=sorted(user.roles))
            flash(_("Roles of %(name)s saved.", name=user.display_name), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_detail.html", user=user, form=form, role_labels=ROLE_LABELS)


@bp.route("/plugins")
@permission_required("admin.access")
def plugins():
    manager = _hub().plugins
    return render_template(
        "admin/plugins.html",
        plugins=list(manager.plugins.values()),
        manager=manager,
        form=PluginToggleForm(),
    )


@bp.route("/plugins/<name>/<any(enable, disable):action>", methods=["POST"])
@permission_required("admin.access")
def toggle_plugin(name: str, action: str):
    manager = _hub().plugins
    if manager.get(name) is None:
        abort(404)
    form = PluginToggleForm()
    if form.validate_on_submit():
        with write_transaction():
            set_plugin_enabled(name, action == "enable")
            audit.record(f"admin.plugin_{action}d", object_type="plugin", object_id=name)
        _hub().refresh()
        message = (
            _("Plugin %(name)s enabled.", name=name)
            if action == "enable"
            else _("Plugin %(name)s disabled. Its pages are hidden; its data is kept.", name=name)
        )
        flash(message, "success")
    return redirect(url_for("admin.plugins"))


@bp.route("/audit")
@permission_required("audit.view")
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    action = (request.args.get("action") or "").strip()
    stmt = select(AuditEntry)
    if action:
        stmt = stmt.where(AuditEntry.action.like(f"{action}%"))
    rows = db.session.scalars(
        stmt.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    return render_template(
        "admin/audit.html",
        entries=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        action=action,
    )
