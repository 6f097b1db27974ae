"""Hook specifications: every way a plugin extends the hub.

Hooks are called with keyword arguments; an implementation may accept fewer
arguments than the spec. ``register_*`` hooks return things the hub collects,
``hub_on_*`` hooks react to core events, ``hub_template_slot`` adds to a page.
Every hook here is documented in ``docs/plugins.md`` and tested by a
``test_hook_<name>`` test; ``tests/test_hookspecs.py`` fails when one is missing.
"""

import pluggy

hookspec = pluggy.HookspecMarker("hub")
hookimpl = pluggy.HookimplMarker("hub")


# --- Loading: what a plugin contributes when the app is built -------------------------------


@hookspec
def hub_register_blueprints(app):
    """Return a list of Flask blueprints to register; their routes answer 404 while the plugin is off."""


@hookspec
def hub_register_migrations():
    """Return the path of the plugin's Alembic migrations folder (own history and version table)."""


@hookspec
def hub_register_permissions():
    """Return a dict ``{permission: set_of_roles}`` merged into the hub's permission table."""


@hookspec
def hub_register_settings():
    """Return a list of :class:`hub.settings.Setting` declarations shown in the admin settings form."""


@hookspec
def hub_register_commands():
    """Return a list of click commands or groups added to the ``hub`` command line."""


@hookspec
def hub_register_object_types():
    """Return a list of :class:`hub.plugin.ObjectType`: the plugin's participable objects, to
    which sessions, contributions, answers, follows, notifications and the agenda attach."""


@hookspec
def hub_grants(user, obj, action):
    """Return True to let ``user`` do ``action`` on the registered object ``obj`` although its
    own type does not (a local body's chair creates polls on its neighbourhoods), else None.
    A grant only adds: nothing here can refuse what the type allows."""


@hookspec
def hub_register_event_types():
    """Return a list of :class:`hub.plugin.EventType` declaring the events the plugin emits."""


@hookspec
def hub_register_contribution_channels():
    """Return a list of :class:`hub.plugin.ContributionChannel` the plugin brings
    contributions through (a workshop, a kiosk…)."""


@hookspec
def hub_scheduled_jobs():
    """Return a list of :class:`hub.plugin.Job` that ``hub worker`` runs at their interval."""


@hookspec
def hub_openapi_paths():
    """Return ``{"paths": {...}, "components": {...}}`` merged into ``/api/v1/openapi.json``."""


@hookspec
def hub_api_record_extra(object_type, obj):
    """Return a dict of fields added to the API record of ``obj`` (of registered type
    ``object_type``), e.g. the projects a body relays on ``/api/v1/bodies/<id>``. Called for
    the records of bodies and projects."""


# --- Pages: what a plugin adds to what residents see ----------------------------------------


@hookspec
def hub_navigation_items(user):
    """Return a list of :class:`hub.navigation.NavItem` for the main menu, given the current user.

    Kept per worker for each language, set of roles, settings version and set of plugins
    switched off: the entries may depend on the user's permissions, nothing else of theirs."""


@hookspec
def hub_search(query, user, limit):
    """Return up to ``limit`` :class:`hub.plugin.SearchResult` matching ``query`` among the
    plugin's public objects (the site-wide search page)."""


@hookspec
def hub_template_slot(slot, context):
    """Return HTML (a ``markupsafe.Markup``) to insert in the named slot of a page, or None."""


@hookspec
def hub_user_activity(user):
    """Return the :class:`hub.activity.ActivityItem` objects shown on the resident's dashboard,
    or :class:`hub.activity.ActivityList` objects (a query whose rows make the items), which
    the dashboard reads with every feature's lists and its list sections in one statement."""


@hookspec
def hub_agenda_events(start, end, filters, limit):
    """Return a list of :class:`hub.agenda.AgendaEvent` between ``start`` and ``end`` (datetimes);
    with ``limit``, the first ``limit`` by start time suffice (and any starting with the last)."""


@hookspec
def hub_agenda_organisers(start, end):
    """Return the ``(type, id)`` of the objects holding events between ``start`` and ``end``."""


# --- Object pages: what a plugin adds to the page of one object ---------------------------
# The six page hooks below (project, neighbourhood, body, session, dashboard, staff area) may
# return :class:`hub.plugin.ListSection` objects beside their PageSections: the rows of one
# query each (integers, booleans, text, dates and naive datetimes, which come back as
# ``datetime.date`` / ``datetime.datetime`` on every engine), read for all the page's list
# sections together in one statement.


@hookspec
def hub_project_page(project, user):
    """Return the :class:`hub.plugin.PageSection` and :class:`hub.plugin.ListSection` objects
    shown on the project's page."""


@hookspec
def hub_neighbourhood_page(neighbourhood, user):
    """Return the :class:`hub.plugin.PageSection` and :class:`hub.plugin.ListSection` objects
    shown on the neighbourhood's page."""


@hookspec
def hub_body_page(body, user):
    """Return the :class:`hub.plugin.PageSection` and :class:`hub.plugin.ListSection` objects
    shown on the local body's page."""


@hookspec
def hub_session_page(session, user):
    """Return the :class:`hub.plugin.PageSection` and :class:`hub.plugin.ListSection` objects
    shown on the session's page."""


@hookspec
def hub_dashboard(user):
    """Return the :class:`hub.plugin.PageSection` and :class:`hub.plugin.ListSection` objects
    shown on the resident's dashboard."""


@hookspec
def hub_staff_area(user):
    """Return the :class:`hub.plugin.PageSection` and :class:`hub.plugin.ListSection` objects
    shown in the staff area."""


@hookspec
def hub_open_data():
    """Return a list of :class:`hub.plugin.Dataset`: the feature's public exports, listed on
    the open-data page (``/open-data``)."""


@hookspec
def hub_oparl_objects():
    """Return a list of :class:`hub.plugin.OParlPaper` (papers put to the hub, public as they
    stand, with their answers) and :class:`hub.plugin.OParlCouncil` (session series that are
    council sittings) for the OParl 1.1 export (``/oparl/v1/system``)."""


@hookspec
def hub_neighbourhood_news(neighbourhood_ids, since, until):
    """Return a list of :class:`hub.plugin.NeighbourhoodNews`: what happened in these
    neighbourhoods between ``since`` and ``until`` (stored times), for the weekly "near you"
    email; a few queries for all the neighbourhoods together."""


@hookspec
def hub_annual_report(year, start, end):
    """Return a list of :class:`hub.plugin.ReportSection`: the feature's figures for the annual
    participation report of ``year`` (stored times from ``start`` included to ``end``
    excluded), computed with a few aggregate queries."""


@hookspec
def hub_work_items(user, body, limit):
    """Return a list of :class:`hub.plugin.WorkItem`: the pending actions of the feature, with
    their deadline. ``body`` None: what ``user``'s staff roles must handle; a local body: what
    that body must handle (``user`` is the person looking). Where they can be many, return a
    :class:`hub.plugin.WorkTally` per kind and only the ``limit`` most urgent items of it
    (``limit`` 0: the tallies alone). Or return a :class:`hub.plugin.WorkBatch` (a tally
    query, the rows queries, and a function making the items of their rows): the queue reads
    every feature's batches in one statement."""


# --- Events: reactions to what happens in the core -----------------------------------------


@hookspec
def hub_on_event(event):
    """Called once per domain event (:class:`hub.plugin.Event`) after its transaction
    committed, outside any request (``hub worker``); open your own write transaction."""


@hookspec
def hub_on_user_registered(user):
    """Called after a resident's account is created (inside the same transaction)."""


@hookspec
def hub_on_residence_verified(user, method):
    """Called after a resident's residence is verified (``method`` is ``census`` or ``desk``)."""


@hookspec
def hub_on_threshold_reached(collection, threshold):
    """Called once when a signature collection reaches a threshold, inside the signing transaction."""


@hookspec
def hub_on_user_deleted(user):
    """Called when an account is deleted, before it is anonymised: anonymise the plugin's own data."""


@hookspec
def hub_export_personal_data(user):
    """Return a dict of the user's personal data held by the plugin, for the JSON download.
    Its lists may be :class:`hub.plugin.ExportList` objects (a query and how a row is
    written): the download reads every feature's lists in one statement."""


@hookspec
def hub_load_demo_content(app, variant):
    """Add the plugin's demonstration content (called by ``hub demo`` after the core's).

    ``variant`` is ``"commune"`` (the commune of Ormeval) or ``"metropole"`` (``hub demo
    --metropole``, the Métropole du Val d'Orne's hub); an implementation that leaves the
    argument out is only called for the commune."""


@hookspec
def hub_load_scale_content(scale):
    """Bulk-add the plugin's share of a large demonstration (``hub demo --scale metropole``).

    ``scale`` is a :class:`hub.scale.Scale`: ``count(n)`` scales a number given at the
    métropole's size, ``insert(model, rows)`` writes rows in batches, ``next_id(model)`` gives
    the first free id, ``add_signatures(object_type, items)`` writes collections with their
    signatures and counters; ``user_ids``, ``verified_ids``, ``staff_ids``,
    ``neighbourhood_ids``, ``body_ids`` and ``project_ids`` hold what the core wrote. Write
    every counter from the rows it counts."""
