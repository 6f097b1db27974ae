"""A plugin the admin switched off contributes nothing anywhere, because every run-time call of
a hook goes through the plugin manager's helpers (``hook``, ``call_each``,
``implementations``), which leave it out: a spy plugin implementing every hookspec is reached
by the pages, jobs and digests while it is on, and by none of them once it is off, except
where the hub must reach every installed plugin (an account's deletion and its personal data),
and its erasure jobs (retention periods run out whatever the switch).
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from factories import make_body, make_project, make_session, make_territory

from hub.extensions import db
from hub.pluginmanager import set_plugin_enabled

ROOT = Path(__file__).resolve().parent.parent

# Run-time calls that reach every installed plugin, switched off or not, on purpose.
EVERY_INSTALLED = {"hub_on_user_deleted", "hub_export_personal_data"}
# The worker asks every installed plugin for its scheduled jobs and runs, of a plugin switched
# off, only those declared ``Job(..., erasure=True)``: a withheld text or a signer's details
# must not outlive their announced retention because the plugin was switched off.
WHILE_OFF = {"hub_scheduled_jobs", "job:spy.erase"}


@pytest.fixture
def app(make_app):
    return make_app(extra_plugins={"spy": "switch_spy.plugin"})


@pytest.fixture
def spy():
    from switch_spy import plugin

    plugin.CALLS.clear()
    return plugin.CALLS


@pytest.fixture
def world(app, make_user):
    centre, *_ = make_territory(app)
    agent = make_user("agent@example.org", roles=("agent", "moderator", "elected"))
    make_user("habitante@example.org", neighbourhood_id=centre)
    project = make_project(
        app, owner_id=agent, phase="strategie", published=True, neighbourhood_ids=(centre,)
    )
    body = make_body(app, members=((agent, "president"),), neighbourhood_ids=(centre,))
    session = make_session(app, target=("project", project), neighbourhood_ids=(centre,))
    return {"project": project, "body": body, "session": session}


def walk(app, client, auth, world) -> None:
    """What a day of the hub calls: the pages staff and residents open, the worker's pass
    (events, mail, every scheduled job), the search, the agenda, open data, the report."""
    from hub.worker import run_once

    auth.login("agent@example.org")
    year = date.today().year
    for url in (
        "/",
        "/me",
        "/staff",
        "/search?q=tram",
        "/sitemap",
        "/agenda",
        "/agenda.ics",
        "/open-data",
        "/api/v1/openapi.json",
        f"/api/v1/projects/{world['project']}",
        f"/projects/{world['project']}",
        f"/bodies/{world['body']}",
        f"/bodies/{world['body']}/to-do",
        f"/sessions/{world['session']}",
        "/territory/centre",
        f"/participation-report/{year}",
        "/oparl/v1/bodies",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    auth.logout()
    with app.app_context():
        app.extensions["hub"].refresh()
        run_once()
        from hub.worker import run_jobs

        run_jobs(force=True)
        db.session.remove()


def switch(app, enabled: bool) -> None:
    with app.app_context():
        set_plugin_enabled("spy", enabled)
        db.session.commit()


def test_a_plugin_switched_off_is_reached_by_no_page_job_or_digest(app, client, auth, world, spy):
    walk(app, client, auth, world)
    reached = set(spy)
    # The walk reaches what residents and staff see (so the test below can fail).
    assert {
        "hub_work_items",
        "hub_search",
        "hub_navigation_items",
        "hub_template_slot",
        "hub_agenda_events",
        "hub_open_data",
        "hub_annual_report",
        "hub_scheduled_jobs",
        "hub_user_activity",
        "hub_openapi_paths",
        "hub_api_record_extra",
        "hub_oparl_objects",
        "job:spy.routine",
        "job:spy.erase",
    } <= reached, sorted(reached)

    switch(app, False)
    spy.clear()
    walk(app, client, auth, world)
    assert set(spy) == WHILE_OFF, (
        f"hooks that still reach a plugin switched off: {sorted(set(spy))}"
    )

    switch(app, True)
    spy.clear()
    walk(app, client, auth, world)
    assert set(spy) == reached


def test_a_new_process_reads_the_switch_before_calling_a_hook(app, make_app, world, spy):
    """A command or job outside the request cycle (nothing read the plugins' states yet)."""
    from hub import workqueue
    from hub.accounts.models import find_user_by_email

    switch(app, False)
    other = make_app(extra_plugins={"spy": "switch_spy.plugin"})  # same database
    spy.clear()  # building the app asked every installed plugin for its declarations
    with other.test_request_context():
        agent = find_user_by_email("agent@example.org")
        workqueue.collect(agent)
        searched = other.extensions["hub"].plugins.call_each(
            "hub_search", query="tram", user=agent, limit=5
        )
        assert "spy" not in dict(searched)
        db.session.remove()
    assert spy == []


def test_an_account_is_deleted_and_exported_in_every_installed_plugin(app, world, spy):
    from hub.accounts.models import find_user_by_email
    from hub.accounts.services import delete_account, personal_data
    from hub.db import write_transaction

    switch(app, False)
    with app.test_request_context():
        app.extensions["hub"].refresh()
        user = find_user_by_email("habitante@example.org")
        personal_data(user)
        with write_transaction():
            delete_account(user)
    assert set(spy) == EVERY_INSTALLED


def _hook_calls(path: Path):
    """``(line, text)`` of each place ``path`` reaches pluggy itself or asks for every
    installed plugin."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in (
            "pm",
            "get_hookimpls",
            "subset_hook_caller",
        ):
            yield node.lineno, f".{node.attr}"
        if isinstance(node, ast.keyword) and node.arg == "include_disabled":
            yield node.lineno, "include_disabled"


def test_hooks_are_called_only_through_the_helpers_that_skip_switched_off_plugins():
    """Nothing in the core or the plugins reaches pluggy directly (it would reach plugins
    switched off); the calls that include them are these, each for a reason: building the
    app and its migrations, an account's deletion and personal data, and erasure jobs."""
    found = {}
    for path in sorted((ROOT / "hub").rglob("*.py")) + sorted((ROOT / "plugins").rglob("*.py")):
        if path.name == "pluginmanager.py" and path.parent.name == "hub":
            continue
        for _line, what in _hook_calls(path):
            found.setdefault(str(path.relative_to(ROOT)), []).append(what)
    assert found == {
        "hub/__init__.py": ["include_disabled"] * 3,  # settings, blueprints, commands
        "hub/accounts/services.py": ["include_disabled"] * 2,  # deletion, personal data
        "hub/cli.py": ["include_disabled"],  # commands
        "hub/contributions/services.py": ["include_disabled"],  # channels
        "hub/events.py": ["include_disabled"],  # event types
        "hub/migrating.py": ["include_disabled"],  # a plugin switched off keeps its tables
        "hub/permissions.py": ["include_disabled"],  # permissions
        "hub/plugincheck.py": ["include_disabled"],  # settings' names
        "hub/registry.py": ["include_disabled"],  # object types
        "hub/worker.py": ["include_disabled"],  # erasure jobs run whatever the switch
    }
