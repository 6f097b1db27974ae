"""Who may do what: a table of permission -> roles, extended by plugins.

Admins may do everything. Views check with :func:`permission_required` or
``current_user.can(...)``; fragments check the same way as full pages.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app
from flask_login import current_user

CORE_PERMISSIONS: dict[str, set[str]] = {
    "admin.access": {"admin"},
    "residence.verify": {"agent"},
    "residence.import": {"agent"},
    "audit.view": {"admin"},
    "moderate": {"moderator"},
    "staff.area": {"agent", "moderator", "elected"},
    "bodies.manage": {"agent"},
    "bodies.draw": {"agent"},
    "projects.manage": {"agent"},
    "projects.answer": {"agent", "elected"},
    "territory.manage": {"agent"},
    "sessions.manage": {"agent"},
    "notifications.newsletter": {"agent"},
}


def build_permission_table(plugin_manager) -> dict[str, frozenset[str]]:
    table = {k: set(v) for k, v in CORE_PERMISSIONS.items()}
    for _name, result in plugin_manager.call_each(
        "hub_register_permissions", include_disabled=True
    ):
        for permission, roles in (result or {}).items():
            table.setdefault(permission, set()).update(roles)
    return {k: frozenset(v) for k, v in table.items()}


def has_permission(user, permission: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    roles = user.roles
    if "admin" in roles:
        return True
    table = current_app.extensions["hub"].permissions
    if permission not in table:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(roles & table[permission])


def permission_required(permission: str):
    """View decorator: 401 for anonymous visitors (redirect to login), 403 without the permission."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
