"""A plugin that implements every hook of ``hub/hookspecs.py`` and only records that it was
called (contributing nothing): the proof that a plugin switched off is never reached at run
time, whichever page, job or command calls the hooks (tests/test_plugin_switch.py).

Its scheduled jobs are the exception: one routine job and one erasure job, each recording
that it ran (``job:spy.routine``, ``job:spy.erase``), since erasure jobs run whatever the
switch."""

from __future__ import annotations

import inspect

from hub import hookspecs
from hub.plugin import hookimpl

CALLS: list[str] = []

HOOKS = sorted(
    name
    for name, spec in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("hub_")
)


def _spy(name: str):
    def record(*_args, **_kwargs):  # pluggy passes no argument: none is named
        CALLS.append(name)

    record.__name__ = name
    return hookimpl(record)


globals().update({name: _spy(name) for name in HOOKS})


def _job(name: str):
    def run():
        CALLS.append(f"job:{name}")

    return run


@hookimpl
def hub_scheduled_jobs():
    from datetime import timedelta

    from hub.plugin import Job

    CALLS.append("hub_scheduled_jobs")
    return [
        Job("spy.routine", every=timedelta(hours=1), run=_job("spy.routine")),
        Job("spy.erase", every=timedelta(hours=1), run=_job("spy.erase"), erasure=True),
    ]
