"""The OParl 1.1 export: the hub's council sessions, their agenda items, the papers put to
the council (petitions, interpellations… with their answers) and its local bodies, at
``/oparl/v1/system`` onward, in the open standard of council information systems.

The core knows sessions and bodies; the features that bring papers (and name the session
series that are council sittings) contribute them through ``hub_oparl_objects``, so the core
never names them. Every exported object is kept in ``oparl_entry`` with a digest: its
``modified`` moves only when it changed, and what disappears stays as a tombstone
(``deleted: true``) for clients that ask with ``modified_since``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class OParlCouncil:
    """A council whose sittings are core sessions of the series ``session_type`` (the
    sessions' ``target_type``): exported as an Organization and its Meetings."""

    key: str
    name: str
    session_type: str


@dataclass
class OParlPaper:
    """A paper put to the hub (a petition, an interpellation…), public as it stands.

    ``key`` is stable and unique among the hub's papers (``petition-12``); ``text`` is what
    its authors published, never who they are. ``answer_text`` (with ``answer_date``) is the
    official answer, exported as a subordinate paper. ``meeting`` is the core session where
    a council took the paper up (an agenda item then records ``result`` and ``resolution``).
    """

    key: str
    name: str
    paper_type: str
    web: str
    date: date | None = None
    reference: str = ""
    text: str = ""
    created: datetime | None = None
    answer_name: str = ""
    answer_text: str = ""
    answer_date: date | None = None
    meeting: object = None
    result: str = ""
    resolution: str = ""
    keywords: tuple[str, ...] = ()
    # The object the paper stands for (``(object_type, id)``): a text hidden by moderation
    # is left out of the export.
    target: tuple[str, int] | None = None
