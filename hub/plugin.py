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
    "ActivityList": "hub.activity:ActivityList",
    "ExportList": "hub.personaldata:ExportList",
    "stored_time": "hub.personaldata:stored_time",
    "NeighbourhoodNews": "hub.activity:NeighbourhoodNews",
    "WorkItem": "hub.workqueue:WorkItem",
    "WorkTally": "hub.workqueue:WorkTally",
    "WorkBatch": "hub.workqueue:WorkBatch",
    "due_cutoff": "hub.workqueue:due_cutoff",
    "tally_and_rows": "hub.workqueue:tally_and_rows",
    "Dataset": "hub.opendata:Dataset",
    "OParlPaper": "hub.oparl:OParlPaper",
    "OParlCouncil": "hub.oparl:OParlCouncil",
    "ReportSection": "hub.report.model:ReportSection",
    "Indicator": "hub.report.model:Indicator",
    "PageSection": "hub.slots:PageSection",
    "ListSection": "hub.slots:ListSection",
    "ListQuery": "hub.slots:ListQuery",
    "list_query": "hub.slots:list_query",
    "read_lists": "hub.slots:read_lists",
    "render_section": "hub.slots:render_section",
    "ObjectType": "hub.registry:ObjectType",
    "InvitationRole": "hub.registry:InvitationRole",
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
    "local_date": "hub.timeutil:local_date",
    "long_date": "hub.web:long_date",
    "long_datetime": "hub.web:long_datetime",
    "write_transaction": "hub.db:write_transaction",
    "after_commit": "hub.db:after_commit",
    "for_update": "hub.db:for_update",
    "lock_key": "hub.db:lock_key",
    "is_sqlite": "hub.db:is_sqlite",
    "run_migrations_env": "hub.migrating:run_env",
    # Errors, forms and views
    "RuleError": "hub.errors:RuleError",
    "fail": "hub.web:fail",
    "login_required_response": "hub.errors:login_required_response",
    "HubForm": "hub.forms:HubForm",
    "form_action": "hub.forms:form_action",
    "require_sent": "hub.forms:require_sent",
    "confirm_first": "hub.confirm:confirm_first",
    "changing": "hub.confirm:changing",
    "choices": "hub.forms:choices",
    "strip_filter": "hub.forms:strip_filter",
    "safe_next": "hub.web:safe_next",
    "htmx": "hub.extensions:htmx",
    "limiter": "hub.extensions:limiter",
    "int_arg": "hub.web:int_arg",
    "SortKey": "hub.paging:SortKey",
    "sort_key": "hub.paging:sort_key",
    "sorted_page": "hub.paging:sorted_page",
    "next_page_url": "hub.paging:next_page_url",
    "capped_count": "hub.paging:capped_count",
    "render_markdown": "hub.text:render_markdown",
    "csv_safe": "hub.text:csv_safe",
    "csv_response": "hub.text:csv_response",
    "csv_text": "hub.text:csv_text",
    "write_private": "hub.files:write_private",
    # Cover images (uploaded, checked, resized, served with a long cache)
    "Image": "hub.images.models:Image",
    "CoverImageFields": "hub.images.forms:CoverImageFields",
    "apply_cover_form": "hub.images.services:apply_cover_form",
    "fill_cover_form": "hub.images.services:fill_cover_form",
    "store_image": "hub.images.services:store_image",
    "delete_image": "hub.images.services:delete_image",
    "import_image_file": "hub.images.services:import_image_file",
    "carry_over_images": "hub.images.migration:carry_over_images",
    "slugify": "hub.text:slugify",
    "unique_slug": "hub.text:unique_slug",
    "external_url": "hub.web:external_url",
    "csrf_exempt": "hub.web:csrf_exempt",
    "personal_bit": "hub.sharedparts:personal_bit",
    "Deferred": "hub.sharedparts:Deferred",
    "offline_request_context": "hub.web:offline_request_context",
    # People and permissions
    "User": "hub.accounts.models:User",
    "find_user_by_email": "hub.accounts.models:find_user_by_email",
    "invite_account": "hub.invitations.services:invite",
    "invitation_notice": "hub.invitations.services:notice",
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
    "mail_person": "hub.notifications.services:mail_person",
    "follows": "hub.follows.services",
    "answers": "hub.answers.services",
    "Answer": "hub.answers.models:Answer",
    "contributions": "hub.contributions.services",
    "comments": "hub.comments.services",
    "moderation": "hub.moderation.services",
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
    "limit_writes": "hub.ratelimits:limit_writes",
    # Projects
    "Project": "hub.projects.models:Project",
    "create_project": "hub.projects.services:create_project",
    "invite_body": "hub.projects.services:invite_body",
    # API
    "token_required": "hub.api.auth:token_required",
    "token_user": "hub.api.auth:token_user",
    "token_refusal": "hub.api.auth:token_refusal",
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
