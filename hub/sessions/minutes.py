"""The minutes (compte-rendu) cycle of any session: a draft written by the organisers, sent
to the participants for amendments for some days (they comment or propose a new text for a
section), approved, then published. Every saved state is a numbered version, kept and
comparable; the minutes export to Markdown and HTML.

Sections follow the structure of the seed's minutes: date, time, place and attendance come
from the session; objectives and agenda, method, synthesis of the exchanges, questions to
study, proposals (one per list item: a feature may send each one on, e.g. as a contribution
to a project) and the next session's agenda are written.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..db import utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..moderation import services as moderation
from ..notifications.services import notify
from .models import MINUTES_SECTIONS, Meeting, MeetingRegistration, MinutesAmendment, MinutesVersion

SECTION_LABELS = {
    "objectives": _l("Objectives and agenda"),
    "method": _l("Method"),
    "synthesis": _l("Synthesis of the exchanges"),
    "questions": _l("Questions to study"),
    "proposals": _l("Proposals"),
    "next_agenda": _l("Agenda of the next session"),
}
STATUS_LABELS = {
    "": _l("Not written yet"),
    "draft": _l("Draft"),
    "review": _l("Open to participants' amendments"),
    "approved": _l("Approved"),
    "published": _l("Published"),
}
MIN_SYNTHESIS = 20
MAX_REVIEW_DAYS = 60
_FIELDS = {
    "objectives": "minutes_objectives",
    "method": "minutes_method",
    "synthesis": "minutes",
    "questions": "minutes_questions",
    "proposals": "minutes_proposals",
    "next_agenda": "minutes_next_agenda",
}


def url_for(endpoint: str, **values) -> str:
    from .services import url_for as build

    return build(endpoint, **values)


class MinutesRuleError(RuleError):
    def __init__(self, message: str, field: str | None = None, **kwargs):
        super().__init__(message, field=field, **kwargs)


def _require_held(meeting: Meeting) -> None:
    from .services import require_held

    require_held(meeting)


def _clean(sections: dict) -> dict[str, str]:
    return {key: (sections.get(key) or "").strip() for key in MINUTES_SECTIONS}


def _store(
    meeting: Meeting, sections: dict[str, str], actor, status: str, note: str = ""
) -> MinutesVersion:
    if len(sections["synthesis"]) < MIN_SYNTHESIS:
        raise MinutesRuleError(
            _(
                "The minutes need a synthesis of the discussions (at least %(n)d characters).",
                n=MIN_SYNTHESIS,
            ),
            "synthesis",
        )
    for key, column in _FIELDS.items():
        setattr(meeting, column, sections[key])
    meeting.minutes_version = (meeting.minutes_version or 0) + 1
    meeting.minutes_status = status
    version = MinutesVersion(
        meeting_id=meeting.id,
        number=meeting.minutes_version,
        sections=sections,
        status=status,
        note=(note or "")[:500],
        created_by_id=audit.actor_id_of(actor),
        created_at=utcnow(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def save_draft(meeting: Meeting, actor, sections: dict, note: str = "") -> MinutesVersion:
    """Save the organisers' text as a new version. While participants review it, they see
    the new version; after an approval, a change needs a new approval."""
    _require_held(meeting)
    if meeting.minutes_status == "published":
        raise MinutesRuleError(_("Published minutes are final."))
    status = "review" if meeting.minutes_status == "review" else "draft"
    if meeting.minutes_status == "approved":
        meeting.minutes_approved_at = None
        meeting.minutes_approved_by_id = None
    version = _store(meeting, _clean(sections), actor, status, note)
    audit.record("session.minutes_saved", meeting, actor=actor, version=version.number)
    return version


def save_minutes(
    meeting: Meeting,
    actor,
    *,
    objectives: str = "",
    method: str = "",
    synthesis: str = "",
    next_agenda: str = "",
    questions: str = "",
    proposals: str = "",
) -> bool:
    """Write and publish at once (sessions whose minutes need no review, such as a relay's
    café-projet); True when published for the first time. Every save is a version."""
    _require_held(meeting)
    sections = _clean(
        {
            "objectives": objectives,
            "method": method,
            "synthesis": synthesis,
            "next_agenda": next_agenda,
            "questions": questions,
            "proposals": proposals,
        }
    )
    first = meeting.minutes_published_at is None
    _store(meeting, sections, actor, "published")
    now = utcnow()
    meeting.minutes_approved_at = meeting.minutes_approved_at or now
    meeting.minutes_approved_by_id = meeting.minutes_approved_by_id or audit.actor_id_of(actor)
    meeting.minutes_published_at = now
    if first:
        emit("session.minutes_published", meeting, actor=actor, version=meeting.minutes_version)
    else:
        audit.record(
            "session.minutes_edited", meeting, actor=actor, version=meeting.minutes_version
        )
    return first


def minutes_participants(meeting: Meeting) -> list:
    """People who took part: registered accounts, less those marked absent."""
    from ..accounts.models import User

    return list(
        db.session.scalars(
            select(User)
            .options(selectinload(User.role_rows))
            .join(MeetingRegistration, MeetingRegistration.user_id == User.id)
            .where(
                MeetingRegistration.meeting_id == meeting.id,
                MeetingRegistration.status == "registered",
                MeetingRegistration.attended.is_not(False),
            )
            .order_by(MeetingRegistration.id)
        )
    )


def can_amend(user, meeting: Meeting) -> bool:
    from .services import can_organise

    if not getattr(user, "is_authenticated", False):
        return False
    return can_organise(user, meeting) or any(
        p.id == user.id for p in minutes_participants(meeting)
    )


def can_read(user, meeting: Meeting) -> bool:
    """Organisers always; participants once the draft is sent to them; moderators too then
    (they read the participants' amendments to decide on reports)."""
    from .services import can_organise

    if not getattr(user, "is_authenticated", False):
        return False
    if can_organise(user, meeting):
        return True
    if meeting.minutes_status not in ("review", "approved", "published"):
        return False
    return user.can("moderate") or can_amend(user, meeting)


def amendment_url(amendment: MinutesAmendment) -> str:
    return url_for("sessions.minutes", meeting_id=amendment.meeting_id) + (
        f"#amendment-{amendment.id}"
    )


def can_view_amendment(user, amendment: MinutesAmendment) -> bool:
    meeting = db.session.get(Meeting, amendment.meeting_id)
    return meeting is not None and can_read(user, meeting)


def amendment_title(amendment: MinutesAmendment) -> str:
    return (amendment.comment or amendment.proposed_text)[:80]


def review_open(meeting: Meeting) -> bool:
    return (
        meeting.minutes_status == "review"
        and meeting.minutes_review_until is not None
        and meeting.minutes_review_until > utcnow()
    )


def minutes_link(meeting: Meeting, external: bool = False) -> str:
    return url_for("sessions.minutes", meeting_id=meeting.id, _external=external)


def open_review(meeting: Meeting, actor, days: int) -> None:
    """Send the draft to the participants, who may propose amendments for ``days`` days."""
    if meeting.minutes_status != "draft":
        raise MinutesRuleError(_("Only a draft can be sent to the participants."))
    if days is None or not 1 <= days <= MAX_REVIEW_DAYS:
        raise MinutesRuleError(
            _("Give between 1 and %(n)d days for amendments.", n=MAX_REVIEW_DAYS), "days"
        )
    meeting.minutes_status = "review"
    meeting.minutes_review_until = utcnow() + timedelta(days=days)
    emit(
        "session.minutes_review_opened",
        meeting,
        actor=actor,
        days=days,
        version=meeting.minutes_version,
    )
    notify(
        minutes_participants(meeting),
        _("Draft minutes of “%(title)s”: your amendments are welcome", title=meeting.title),
        minutes_link(meeting),
        body=_("You may comment or propose changes for %(n)d days.", n=days),
        kind="session.minutes_review",
    )


def close_review(meeting: Meeting, actor) -> None:
    """End the amendment period now (every participant has answered, say)."""
    if not review_open(meeting):
        raise MinutesRuleError(_("The minutes are not open to amendments."))
    meeting.minutes_review_until = utcnow()
    audit.record("session.minutes_review_closed", meeting, actor=actor)


def propose_amendment(
    meeting: Meeting, user, *, section: str, comment: str = "", proposed_text: str = ""
) -> MinutesAmendment:
    if not review_open(meeting):
        raise MinutesRuleError(_("The minutes are not open to amendments."), status=409)
    if not can_amend(user, meeting):
        raise MinutesRuleError(
            _("Only the session's participants may propose amendments."), status=403
        )
    if section not in MINUTES_SECTIONS:
        raise MinutesRuleError(_("Choose the section you comment on."), "section")
    comment, proposed_text = (comment or "").strip(), (proposed_text or "").strip()
    if not comment and not proposed_text:
        raise MinutesRuleError(_("Write a comment or propose a new text."), "comment")
    row = MinutesAmendment(
        meeting_id=meeting.id,
        version=meeting.minutes_version,
        section=section,
        comment=comment,
        proposed_text=proposed_text,
        author_id=user.id,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "session.minutes_amendment", meeting, actor=user, amendment_id=row.id, section=section
    )
    # Written by a participant: reported, hidden and pre-moderated like every resident text;
    # while it waits for a moderator, the organisers are not told of it yet.
    if moderation.hold(row) is None:
        amendment_published(row)
    return row


def amendment_published(amendment: MinutesAmendment) -> None:
    """Tell the organisers of an amendment they can read (at once, or once a moderator
    approved it)."""
    from .services import organisers_to_notify

    meeting = db.session.get(Meeting, amendment.meeting_id)
    notify(
        [u for u in organisers_to_notify(meeting) if u.id != amendment.author_id],
        _("An amendment to the minutes of “%(title)s”", title=meeting.title),
        minutes_link(meeting),
        kind="session.minutes_amendment",
    )


def resolve_amendment(amendment: MinutesAmendment, accept: bool, reply: str, actor) -> None:
    """Accept (a proposed text then replaces the section, in a new version) or decline, with
    a reply the author reads."""
    meeting = db.session.get(Meeting, amendment.meeting_id)
    if amendment.status != "open":
        raise MinutesRuleError(_("This amendment has already been answered."), status=409)
    if _decision(amendment) is not None:
        raise MinutesRuleError(_("This amendment is hidden by moderation."), status=409)
    if meeting.minutes_status not in ("draft", "review"):
        raise MinutesRuleError(_("The minutes are no longer a draft."))
    reply = (reply or "").strip()
    if not accept and not reply:
        raise MinutesRuleError(_("Say why the amendment is declined."), "reply")
    amendment.status = "accepted" if accept else "declined"
    amendment.reply = reply
    amendment.resolved_at = utcnow()
    amendment.resolved_by_id = audit.actor_id_of(actor)
    if accept and amendment.proposed_text:
        sections = dict(meeting.minutes_sections)
        sections[amendment.section] = amendment.proposed_text
        _store(
            meeting,
            _clean(sections),
            actor,
            meeting.minutes_status,
            note=_("Amendment %(n)d accepted", n=amendment.id),
        )
    audit.record(
        "session.minutes_amendment_" + amendment.status,
        meeting,
        actor=actor,
        amendment_id=amendment.id,
    )
    if amendment.author is not None:
        notify(
            [amendment.author],
            _(
                "Your amendment to the minutes of “%(title)s” was %(outcome)s",
                title=meeting.title,
                outcome=_("accepted") if accept else _("declined"),
            ),
            minutes_link(meeting),
            body=reply,
            kind="session.minutes_amendment",
        )


def check_approval(meeting: Meeting) -> None:
    """Refuse (MinutesRuleError) minutes that may not be approved yet: asked before the
    confirmation step, and again when approving."""
    if meeting.minutes_status not in ("draft", "review"):
        raise MinutesRuleError(_("Only draft minutes can be approved."))
    if review_open(meeting):
        raise MinutesRuleError(
            _("Participants may still propose amendments: end the amendment period first.")
        )
    unanswered = [a for a in amendments_of(meeting, "open") if _decision(a) is None]
    if unanswered:
        raise MinutesRuleError(_("Answer every amendment before approving the minutes."))
    if any(_decision(a).pending for a in amendments_of(meeting, "open")):
        raise MinutesRuleError(
            _("An amendment waits for a moderator: approve the minutes once it is read.")
        )


def approve_minutes(meeting: Meeting, actor) -> None:
    check_approval(meeting)
    meeting.minutes_status = "approved"
    meeting.minutes_approved_at = utcnow()
    meeting.minutes_approved_by_id = audit.actor_id_of(actor)
    emit("session.minutes_approved", meeting, actor=actor, version=meeting.minutes_version)


def check_publication(meeting: Meeting) -> None:
    if meeting.minutes_status != "approved":
        raise MinutesRuleError(_("Minutes are published once approved."))


def publish_minutes(meeting: Meeting, actor) -> None:
    check_publication(meeting)
    meeting.minutes_status = "published"
    meeting.minutes_published_at = utcnow()
    emit("session.minutes_published", meeting, actor=actor, version=meeting.minutes_version)
    notify(
        minutes_participants(meeting),
        _("The minutes of “%(title)s” are published", title=meeting.title),
        url_for("sessions.show", meeting_id=meeting.id) + "#minutes",
        kind="session.minutes_published",
    )


def minutes_versions(meeting: Meeting) -> list[MinutesVersion]:
    return list(
        db.session.scalars(
            select(MinutesVersion)
            .where(MinutesVersion.meeting_id == meeting.id)
            .order_by(MinutesVersion.number)
        )
    )


def version_of(meeting: Meeting, number: int) -> MinutesVersion | None:
    return db.session.scalar(
        select(MinutesVersion).where(
            MinutesVersion.meeting_id == meeting.id, MinutesVersion.number == number
        )
    )


def _decision(amendment: MinutesAmendment):
    """The moderation decision hiding the amendment (held, or hidden with a reason)."""
    return moderation.hidden(amendment)


def amendments_of(meeting: Meeting, status: str | None = None) -> list[MinutesAmendment]:
    query = select(MinutesAmendment).where(MinutesAmendment.meeting_id == meeting.id)
    if status:
        query = query.where(MinutesAmendment.status == status)
    return list(db.session.scalars(query.order_by(MinutesAmendment.id)))


def open_amendment_count(meeting: Meeting) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(MinutesAmendment)
            .where(MinutesAmendment.meeting_id == meeting.id, MinutesAmendment.status == "open")
        )
        or 0
    )


_TOKENS = re.compile(r"\s+|[^\s]+")


def _word_diff(old: str, new: str) -> Markup:
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(Markup("<del>%s</del>") % "".join(a[i1:i2]))
        if j2 > j1:
            parts.append(Markup("<ins>%s</ins>") % "".join(b[j1:j2]))
    return Markup("").join(parts)


def diff_versions(old: MinutesVersion, new: MinutesVersion) -> list[dict]:
    """The sections that changed between two versions, each with a word diff (``<del>``,
    ``<ins>``, escaped text)."""
    changes = []
    for key in MINUTES_SECTIONS:
        before, after = (old.sections or {}).get(key, ""), (new.sections or {}).get(key, "")
        if before != after:
            changes.append(
                {"section": key, "label": SECTION_LABELS[key], "diff": _word_diff(before, after)}
            )
    return changes


_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")


def proposals_of(text_or_meeting) -> list[str]:
    """The proposals of the minutes, one per list item (or per paragraph without a list)."""
    text = (
        text_or_meeting.minutes_proposals
        if isinstance(text_or_meeting, Meeting)
        else text_or_meeting
    ) or ""
    items: list[str] = []
    lines = text.splitlines()
    if any(_ITEM.match(line) for line in lines):
        for line in lines:
            match = _ITEM.match(line)
            if match:
                items.append(match.group(1).strip())
            elif line.strip() and items:
                items[-1] = f"{items[-1]} {line.strip()}"
    else:
        items = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [item for item in items if item]


def _facts(meeting: Meeting) -> dict[str, object]:
    """The session's facts the minutes open with (read from the session's row: no query)."""
    return {
        "date": meeting.starts_at.date().isoformat(),
        "time": meeting.starts_at.strftime("%H:%M")
        + ("–" + meeting.ends_at.strftime("%H:%M") if meeting.ends_at else ""),
        "place": meeting.where,
        "attendance": meeting.attendance_count,
    }


def minutes_record(meeting: Meeting) -> dict:
    """What the API and open data publish: ``{"status", "version", "sections"}``."""
    facts = _facts(meeting)
    sections = {
        "date": facts["date"],
        "time": facts["time"],
        "place": facts["place"],
        "attendance": facts["attendance"],
        **meeting.minutes_sections,
        "proposals_list": proposals_of(meeting),
    }
    return {
        "status": meeting.minutes_status or "",
        "version": meeting.minutes_version or 0,
        "published_at": (
            meeting.minutes_published_at.isoformat() + "Z" if meeting.minutes_published_at else None
        ),
        "sections": sections,
    }


def minutes_markdown(meeting: Meeting, version: MinutesVersion | None = None) -> str:
    """The minutes as a Markdown document (a version, or the current text)."""
    from flask_babel import format_date

    sections = version.sections if version is not None else meeting.minutes_sections
    facts = _facts(meeting)
    lines = [
        f"# {_('Minutes')} – {meeting.title}",
        "",
        f"- **{_('Date')}** : {format_date(meeting.starts_at, 'full', rebase=False)}",
        f"- **{_('Time')}** : {facts['time']}",
        f"- **{_('Place')}** : {facts['place'] or '–'}",
        f"- **{_('Attendance')}** : "
        + (str(facts["attendance"]) if facts["attendance"] is not None else "–"),
        f"- **{_('Version')}** : {version.number if version else meeting.minutes_version}"
        f" ({STATUS_LABELS.get(version.status if version else meeting.minutes_status, '')})",
        "",
    ]
    for key in MINUTES_SECTIONS:
        if sections.get(key):
            lines += [f"## {SECTION_LABELS[key]}", "", sections[key].strip(), ""]
    return "\n".join(lines)
