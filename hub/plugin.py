"""The plugin SDK: everything a plugin may use from the hub, in one module.

A plugin imports the hub only from here (``from hub.plugin import hookimpl, db, ...``); a
test fails on any other ``hub.`` import under ``plugins/``. What is listed here is the
stable, documented surface (docs/plugins.md); everything else in ``hub`` may change.

Names are resolved on first use, so importing this module costs nothing until a plugin
touches a name (``hub --help`` stays quick even with many plugins installed).
"""

from __future__ import annotations

import importlib

# name -> "module:attribute" (or "module" for a namespace of functions)
_EXPORTS: dict[str, str] = {
    # Hooks and declarations
    "hookimpl": "hub.hookspecs:hookimpl",
    "Setting": "hub.settings:Setting",
    "get_setting": "hub.settings:get_setting",
    "NavItem": "hub.navigation:NavItem",
    "SearchResult": "hub.navigation:SearchResult",
    "search_like": "hub.navigation:search_like",
    "ActivityItem": "hub.activity:ActivityItem",
    "PageSection": "hub.slots:PageSection",
    "render_section": "hub.slots:render_section",
    "ObjectType": "hub.registry:ObjectType",
    "registry": "hub.registry:registry",
    "object_url": "hub.registry:object_url",
    "object_title": "hub.registry:object_title",
    "allows": "hub.registry:allows",
    "EventType": "hub.events:EventType",
    "Event": "hub.events:Event",
    "emit": "hub.events:emit",
    "Job": "hub.worker:Job",
    "run_pending": "hub.worker:run_pending",
    "AgendaEvent": "hub.agenda:AgendaEvent",
    "ContributionChannel": "hub.contributions.models:ContributionChannel",
    # Database and transactions
    "db": "hub.extensions:db",
    "utcnow": "hub.db:utcnow",
    "local_now": "hub.timeutil:local_now",
    "local_today": "hub.timeutil:local_today",
    "write_transaction": "hub.db:write_transaction",
    "after_commit": "hub.db:after_commit",
    "for_update": "hub.db:for_update",
    "is_sqlite": "hub.db:is_sqlite",
    "run_migrations_env": "hub.migrating:run_env",
    # Errors, forms and views
    "RuleError": "hub.errors:RuleError",
    "fail": "hub.web:fail",
    "login_required_response": "hub.errors:login_required_response",
    "HubForm": "hub.forms:HubForm",
    "form_action": "hub.forms:form_action",
    "choices": "hub.forms:choices",
    "strip_filter": "hub.forms:strip_filter",
    "safe_next": "hub.web:safe_next",
    "htmx": "hub.extensions:htmx",
    "limiter": "hub.extensions:limiter",
    "int_arg": "hub.web:int_arg",
    "render_markdown": "hub.text:render_markdown",
    "csv_safe": "hub.text:csv_safe",
    "csv_response": "hub.text:csv_response",
    "slugify": "hub.text:slugify",
    "unique_slug": "hub.text:unique_slug",
    "external_url": "hub.web:external_url",
    # People and permissions
    "User": "hub.accounts.models:User",
    "find_user_by_email": "hub.accounts.models:find_user_by_email",
    "create_user": "hub.accounts.services:create_user",
    "permission_required": "hub.permissions:permission_required",
    "has_permission": "hub.permissions:has_permission",
    "audit": "hub.audit:record",
    "SYSTEM": "hub.audit:SYSTEM",
    # Territory and bodies
    "Commune": "hub.territory.models:Commune",
    "Neighbourhood": "hub.territory.models:Neighbourhood",
    "neighbourhood_choices": "hub.territory.models:neighbourhood_choices",
    "Body": "hub.bodies.models:Body",
    "body_capabilities": "hub.bodies.services:capabilities",
    "bodies_acting_for": "hub.bodies.services:bodies_acting_for",
    # Shared services (namespaces of functions, documented in docs/plugins.md)
    "notify": "hub.notifications.services:notify",
    "queue_mail": "hub.mail:queue_mail",
    "follows": "hub.follows.services",
    "answers": "hub.answers.services",
    "Answer": "hub.answers.models:Answer",
    "contributions": "hub.contributions.services",
    "Contribution": "hub.contributions.models:Contribution",
    "sessions": "hub.sessions.services",
    "Session": "hub.sessions.models:Meeting",
    "SessionForm": "hub.sessions.forms:SessionForm",
    "signatures": "hub.signatures.services",
    "SignatureCollection": "hub.signatures.models:SignatureCollection",
    "Signature": "hub.signatures.models:Signature",
    "SignForm": "hub.signatures.forms:SignForm",
    "sign_box": "hub.signatures.ui:sign_box",
    "limit_signing": "hub.signatures.ratelimit:limit_signing",
    # Projects
    "Project": "hub.projects.models:Project",
    "create_project": "hub.projects.services:create_project",
    # API
    "token_required": "hub.api.auth:token_required",
    "token_user": "hub.api.auth:token_user",
    "api_error": "hub.api.auth:api_error",
    "api_json": "hub.api.auth:api_json",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"hub.plugin has no {name!r} (see docs/plugins.md for the SDK)")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__():
    return __all__
