"""The OParl export's own hook implementations: its refresh job and its open-data entry."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl


def _refresh():
    from .export import refresh

    return f"{refresh()} OParl objects changed"


@hookimpl
def hub_scheduled_jobs():
    from ..worker import Job

    return [
        Job(
            "oparl.refresh",
            every=timedelta(minutes=2),
            run=_refresh,
            description=_l("Bring the OParl export up to date"),
        )
    ]


@hookimpl
def hub_open_data():
    from ..opendata import Dataset

    return [
        Dataset(
            _l("Council information (OParl 1.1)"),
            "oparl.system",
            "OParl",
            _l(
                "Council sessions and their agenda, the papers put to the hub with their "
                "answers, and the local bodies, in the open standard of council information "
                "systems."
            ),
        )
    ]
