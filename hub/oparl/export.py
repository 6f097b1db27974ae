"""Building the OParl objects and keeping ``oparl_entry`` up to date.

``build()`` computes every object the hub exports now; ``refresh()`` compares them with
what was published (by digest), stamps ``modified`` on the ones that changed and turns the
ones that vanished into tombstones. The lists and objects are then served from the table,
in a stable order (its ids)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..bodies.models import Body
from ..db import utcnow, write_transaction
from ..extensions import db
from ..moderation import services as moderation
from ..registry import object_url
from ..sessions.models import Meeting
from ..settings import get_setting
from ..web import external_url
from . import OParlCouncil, OParlPaper
from .models import OParlEntry

VERSION = "https://schema.oparl.org/1.1/"
BODY_KEY = "hub"
# Kinds stored in ``oparl_entry``, and their OParl type names.
TYPES = {
    "organization": "Organization",
    "meeting": "Meeting",
    "agendaItem": "AgendaItem",
    "paper": "Paper",
    "consultation": "Consultation",
    "file": "File",
    "location": "Location",
}


def object_id(kind: str, key: str) -> str:
    return external_url("oparl.entry", kind=kind, key=key)


def body_id() -> str:
    return external_url("oparl.body", body_key=BODY_KEY)


def stamp(moment: datetime | None) -> str | None:
    """A naive UTC time as RFC 3339."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC, microsecond=0).isoformat()


def local_stamp(moment: datetime | None) -> str | None:
    """A naive local (``TIMEZONE``) time as RFC 3339 with its offset."""
    if moment is None:
        return None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return moment.replace(tzinfo=zone, microsecond=0).isoformat()


def _day(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)


def contributions() -> tuple[list[OParlCouncil], list[OParlPaper]]:
    councils: list[OParlCouncil] = []
    papers: list[OParlPaper] = []
    for result in current_app.extensions["hub"].plugins.hook("hub_oparl_objects")():
        for item in result or []:
            if isinstance(item, OParlCouncil):
                councils.append(item)
            elif isinstance(item, OParlPaper):
                papers.append(item)
    hidden = moderation.hidden_among(p.target for p in papers)
    # A text hidden by moderation (or still waiting for a moderator) is not exported.
    papers = [replace(p, text="") if p.target in hidden else p for p in papers]
    return councils, papers


class Builder:
    def __init__(self):
        self.objects: dict[tuple[str, str], dict] = {}
        self.created: dict[tuple[str, str], datetime] = {}

    def put(self, kind: str, key: str, created: datetime | None = None, **fields) -> dict:
        data = {"id": object_id(kind, key), "type": VERSION + TYPES[kind]}
        data.update({k: v for k, v in fields.items() if v not in (None, "", [], ())})
        self.objects[(kind, key)] = data
        if created is not None:
            self.created[(kind, key)] = created
        return data


def build() -> Builder:
    """Every object the hub exports now (in the hub's default language)."""
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        return _build()


def _build() -> Builder:
    out = Builder()
    body = body_id()
    councils, papers = contributions()

    for local in db.session.scalars(select(Body).order_by(Body.id)):
        out.put(
            "organization",
            local.uuid,
            created=local.created_at,
            body=body,
            name=local.name,
            organizationType=_("Participation body"),
            classification=local.type,
            startDate=_day(local.created_at),
            endDate=_day(local.archived_at),
            website=local.website if local.website.startswith(("http://", "https://")) else None,
            web=object_url(local, _external=True),
        )
    by_series: dict[str, OParlCouncil] = {}
    for council in councils:
        by_series[council.session_type] = council
        out.put(
            "organization",
            f"council-{council.key}",
            body=body,
            name=council.name,
            organizationType=_("Elected council"),
            classification="council",
        )

    meetings = (
        db.session.scalars(
            select(Meeting)
            .where(Meeting.target_type.in_(list(by_series)))
            .order_by(Meeting.starts_at, Meeting.id)
        ).all()
        if by_series
        else []
    )
    on_agenda: dict[int, list[OParlPaper]] = {}
    for paper in papers:
        if paper.meeting is not None:
            on_agenda.setdefault(paper.meeting.id, []).append(paper)

    agenda_urls: dict[str, tuple[str, str]] = {}  # paper key -> (meeting url, agenda item url)
    for meeting in meetings:
        council = by_series[meeting.target_type]
        meeting_url = object_id("meeting", meeting.uuid)
        organisation = object_id("organization", f"council-{council.key}")
        items = []
        for order, paper in enumerate(
            sorted(on_agenda.get(meeting.id, []), key=lambda p: p.key), start=1
        ):
            item_key = f"{meeting.uuid}-{paper.key}"
            item = out.put(
                "agendaItem",
                item_key,
                created=meeting.created_at,
                meeting=meeting_url,
                number=str(order),
                order=order,
                name=paper.name,
                public=True,
                consultation=object_id("consultation", paper.key),
                result=paper.result,
                resolutionText=paper.resolution,
                start=local_stamp(meeting.starts_at),
                web=paper.web,
            )
            items.append(item)
            agenda_urls[paper.key] = (meeting_url, item["id"])
        location = None
        if meeting.place:
            location = out.put(
                "location", meeting.uuid, created=meeting.created_at, description=meeting.place
            )
        protocol = None
        if meeting.minutes_published_at is not None:
            protocol = out.put(
                "file",
                f"{meeting.uuid}-minutes",
                created=meeting.minutes_published_at,
                name=_("Minutes of the session"),
                mimeType="text/html",
                date=_day(meeting.minutes_published_at),
                accessUrl=external_url("sessions.show", meeting_id=meeting.id),
            )
        past = meeting.starts_at <= datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).replace(
            tzinfo=None
        )
        out.put(
            "meeting",
            meeting.uuid,
            created=meeting.created_at,
            name=meeting.title,
            meetingState="cancelled" if meeting.cancelled_at else ("held" if past else "scheduled"),
            cancelled=meeting.cancelled_at is not None,
            start=local_stamp(meeting.starts_at),
            end=local_stamp(meeting.ends_at),
            location=location,
            organization=[organisation],
            resultsProtocol=protocol,
            agendaItem=items,
            web=external_url("sessions.show", meeting_id=meeting.id),
        )

    for paper in papers:
        paper_url = object_id("paper", paper.key)
        main_file = None
        if paper.text:
            main_file = out.put(
                "file",
                f"{paper.key}-text",
                created=paper.created,
                name=paper.name,
                mimeType="text/markdown",
                text=paper.text,
                date=_day(paper.date),
                accessUrl=paper.web,
                paper=[paper_url],
            )
        consultations = []
        if paper.key in agenda_urls:
            meeting_url, item_url = agenda_urls[paper.key]
            council = by_series[paper.meeting.target_type]
            consultations.append(
                out.put(
                    "consultation",
                    paper.key,
                    created=paper.created,
                    paper=paper_url,
                    agendaItem=item_url,
                    meeting=meeting_url,
                    organization=[object_id("organization", f"council-{council.key}")],
                    authoritative=True,
                    role=_("Taken up in session"),
                )
            )
        answer_url = None
        if paper.answer_text:
            answer_key = f"{paper.key}-answer"
            answer_url = object_id("paper", answer_key)
            answer_file = out.put(
                "file",
                f"{answer_key}-text",
                created=paper.created,
                name=paper.answer_name or _("Official answer"),
                mimeType="text/markdown",
                text=paper.answer_text,
                date=_day(paper.answer_date),
                accessUrl=paper.web,
                paper=[answer_url],
            )
            out.put(
                "paper",
                answer_key,
                created=paper.created,
                body=body,
                name=paper.answer_name or _("Official answer"),
                reference=f"{paper.reference}-R" if paper.reference else None,
                date=_day(paper.answer_date),
                paperType=_("Official answer"),
                mainFile=answer_file,
                superordinatedPaper=[paper_url],
                web=paper.web,
            )
        out.put(
            "paper",
            paper.key,
            created=paper.created,
            body=body,
            name=paper.name,
            reference=paper.reference,
            date=_day(paper.date),
            paperType=paper.paper_type,
            mainFile=main_file,
            consultation=consultations,
            subordinatedPaper=[answer_url] if answer_url else None,
            keyword=list(paper.keywords),
            web=paper.web,
        )
    return out


def _digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def refresh() -> int:
    """Bring ``oparl_entry`` up to date; returns how many entries changed."""
    built = build()
    changed = 0
    with write_transaction():
        now = utcnow()
        entries = {(e.kind, e.key): e for e in db.session.scalars(select(OParlEntry))}
        for ref, data in built.objects.items():
            digest = _digest(data)
            entry = entries.pop(ref, None)
            if entry is None:
                db.session.add(
                    OParlEntry(
                        kind=ref[0],
                        key=ref[1],
                        digest=digest,
                        payload=data,
                        deleted=False,
                        created_at=min(built.created.get(ref) or now, now),
                        modified_at=now,
                    )
                )
                changed += 1
            elif entry.digest != digest or entry.deleted:
                entry.payload, entry.digest, entry.deleted, entry.modified_at = (
                    data,
                    digest,
                    False,
                    now,
                )
                changed += 1
        for entry in entries.values():
            if not entry.deleted:
                # A tombstone keeps id, type and created (OParl 1.1, deleted objects).
                entry.payload = {"id": entry.payload.get("id"), "type": entry.payload.get("type")}
                entry.digest, entry.deleted, entry.modified_at = "", True, now
                changed += 1
    return changed


def serialise(entry: OParlEntry) -> dict:
    data = dict(entry.payload)
    data["created"] = stamp(entry.created_at)
    data["modified"] = stamp(entry.modified_at)
    if entry.deleted:
        data["deleted"] = True
    return data


def system_name() -> str:
    return get_setting("commune_name")
