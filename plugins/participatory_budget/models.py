"""The plugin's tables (``participatory_budget_*``).

The vote is secret by construction: who voted (:class:`Participation`, a voter key, the
districts, the channel and the day) and what was voted (:class:`Ballot` and its lines: a random
id, the channel and the day) live in tables with no column that joins them. A ballot carries
the hash of its receipt; the receipt is derived from the voter with a key kept outside the
database (see :mod:`.voting`), so a copy of the database does not link a ballot to anyone.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin import Image, db, utcnow

OBJECT_TYPE = "participatory_budget_project"

# The cycle, in order. "draft" is the campaign before publication; "supports" is optional.
PHASES = ("draft", "submission", "feasibility", "supports", "vote", "results", "implementation")
DATED_PHASES = PHASES[1:]
PHASE_LABELS = {
    "draft": _l("In preparation"),
    "submission": _l("Submission of projects"),
    "feasibility": _l("Feasibility review"),
    "supports": _l("Supports (pre-selection)"),
    "vote": _l("Vote"),
    "results": _l("Results"),
    "implementation": _l("Implementation"),
}
# Phases in which counts, winners and the Pabulib export of ballots are public.
COUNTS_PUBLIC = ("results", "implementation")

RULE_LABELS = {
    "greedy": _l("Greedy: the most voted projects, while they fit in the envelope"),
    "greedy-threshold": _l("Greedy with a minimum number of votes"),
    "equalshares": _l("Method of Equal Shares"),
    "equalshares/add1": _l("Method of Equal Shares, completed (add1)"),
}
TIE_LABELS = {
    "lexicographic": _l("Project number"),
    "lowest-cost": _l("Lowest cost first"),
}
VOTE_TYPE_LABELS = {
    "approval": _l("Approval: choose projects (within the envelope if it applies)"),
    "cumulative": _l("Cumulative: share points among projects"),
}

PROJECT_STATUSES = {
    "submitted": _l("Submitted, under review"),
    "feasible": _l("Feasible: on the ballot"),
    "unfeasible": _l("Not feasible"),
    "out_of_scope": _l("Outside the commune's competences"),
    "incompatible": _l("Incompatible with another project"),
    "merged": _l("Merged into another project"),
    "refused": _l("Not published: refused by moderation"),
    "not_preselected": _l("Not pre-selected: too few supports"),
    "selected": _l("Selected: funded"),
    "not_selected": _l("Not selected"),
}
REFUSALS = ("unfeasible", "out_of_scope", "incompatible")
ON_BALLOT = ("feasible", "selected", "not_selected")

CHANNEL_LABELS = {
    "web": _l("Online"),
    "code": _l("Voting code (post)"),
    "paper": _l("Paper ballot"),
    "api": _l("API"),
    "kiosk": _l("Kiosk (town hall)"),
}


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_ballot_id() -> str:
    """Random, so that the order of ballots says nothing about the order of voters."""
    return secrets.token_hex(16)


class Campaign(db.Model):
    __tablename__ = "participatory_budget_campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    currency: Mapped[str] = mapped_column(String(8), default="EUR")
    # The published counting rule and what a valid ballot is.
    rule: Mapped[str] = mapped_column(String(30), default="greedy")
    min_score: Mapped[int | None] = mapped_column(Integer)
    tie_breaking: Mapped[str] = mapped_column(String(20), default="lexicographic")
    vote_type: Mapped[str] = mapped_column(String(20), default="approval")
    min_projects: Mapped[int | None] = mapped_column(Integer)
    max_projects: Mapped[int | None] = mapped_column(Integer)
    knapsack: Mapped[bool] = mapped_column(Boolean, default=True)
    min_share_percent: Mapped[int] = mapped_column(Integer, default=0)
    max_points: Mapped[int | None] = mapped_column(Integer)
    districts_per_voter: Mapped[int] = mapped_column(Integer, default=2)
    # Eligibility: verified residents (core) of at least this age.
    residents_only: Mapped[bool] = mapped_column(Boolean, default=True)
    min_age: Mapped[int] = mapped_column(Integer, default=16)
    # The supports pre-selection (when that phase is planned): a feasible project goes to the
    # ballot when it has at least ``supports_threshold`` supports and is among the
    # ``supports_top`` most supported of its district (all projects tied at the last place go).
    supports_top: Mapped[int | None] = mapped_column(Integer)
    supports_threshold: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Filled when the results are computed: per district, the engine's audit record.
    results: Mapped[dict | None] = mapped_column(JSON)
    results_at: Mapped[datetime | None]

    phases = relationship(
        "Phase",
        lazy="select",
        cascade="all, delete-orphan",
        order_by="Phase.starts_on",
        back_populates="campaign",
    )
    districts = relationship(
        "District",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="District.position, District.id",
        back_populates="campaign",
    )

    @property
    def phase_label(self):
        return PHASE_LABELS[self.phase]

    @property
    def counts_public(self) -> bool:
        return self.phase in COUNTS_PUBLIC

    @property
    def is_public(self) -> bool:
        return self.phase != "draft"

    def planned(self, kind: str):
        return next((p for p in self.phases if p.kind == kind), None)

    @property
    def total_envelope(self) -> int:
        return sum(d.envelope for d in self.districts)


class Phase(db.Model):
    """The planned dates of one phase (inclusive); the campaign's ``phase`` is where it is."""

    __tablename__ = "participatory_budget_phase"
    __table_args__ = (UniqueConstraint("campaign_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    campaign = relationship("Campaign", back_populates="phases")

    @property
    def label(self):
        return PHASE_LABELS[self.kind]


class District(db.Model):
    """An envelope: a neighbourhood, a commune inside a métropole (``commune_id``), or the whole
    territory when both are empty.

    ``meta`` keeps a Pabulib file's META (and ``project_columns`` its PROJECTS header) so that an
    imported instance is written back without loss.
    """

    __tablename__ = "participatory_budget_district"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(150))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="SET NULL"), index=True
    )
    envelope: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict | None] = mapped_column(JSON)
    project_columns: Mapped[list | None] = mapped_column(JSON)

    campaign = relationship("Campaign", back_populates="districts")
    neighbourhood = relationship("Neighbourhood", lazy="joined")
    commune = relationship("Commune", lazy="joined")

    @property
    def city_wide(self) -> bool:
        return self.neighbourhood_id is None and self.commune_id is None


class BudgetProject(db.Model):
    __tablename__ = "participatory_budget_project"
    __table_args__ = (UniqueConstraint("campaign_id", "pabulib_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_district.id", ondelete="CASCADE"), index=True
    )
    pabulib_id: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    estimated_cost: Mapped[int] = mapped_column(BigInteger)
    cover_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("image.id", ondelete="SET NULL"), index=True
    )
    cover_image = relationship(Image, lazy="joined")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Feasibility review by the services: the cost they retain, why, and a public reason.
    cost: Mapped[int | None] = mapped_column(BigInteger)
    cost_explanation: Mapped[str] = mapped_column(Text, default="")
    review_reason: Mapped[str] = mapped_column(Text, default="")
    incompatible_with_id: Mapped[int | None] = mapped_column(
        ForeignKey("participatory_budget_project.id", ondelete="SET NULL")
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("participatory_budget_project.id", ondelete="SET NULL")
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    # How many residents support it in the pre-selection: kept by the same transaction that
    # adds or removes a :class:`Support` row, so it is never recounted.
    supports: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Other Pabulib columns of an imported project, kept as text for the export.
    fields: Mapped[dict | None] = mapped_column(JSON)

    campaign = relationship("Campaign", lazy="joined")
    district = relationship("District", lazy="joined")
    author = relationship("User", foreign_keys=[author_id], lazy="select")
    merged_into = relationship("BudgetProject", foreign_keys=[merged_into_id], remote_side=[id])
    incompatible_with = relationship(
        "BudgetProject", foreign_keys=[incompatible_with_id], remote_side=[id]
    )

    @property
    def status_label(self):
        return PROJECT_STATUSES[self.status]

    @property
    def ballot_cost(self) -> int:
        """The cost on the ballot: the services' estimate once reviewed, else the author's."""
        return self.cost if self.cost is not None else self.estimated_cost

    @property
    def on_ballot(self) -> bool:
        return self.status in ON_BALLOT


class Support(db.Model):
    """A resident's support of a project in the pre-selection: one per resident and project
    (the primary key), public like a petition's signature count, unlike a vote."""

    __tablename__ = "participatory_budget_support"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_project.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cosigner(db.Model):
    """A resident who joined a project as its co-author, from their own account."""

    __tablename__ = "participatory_budget_cosigner"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_project.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class Participation(db.Model):
    """Who voted: a voter key (``user:<id>`` or ``code:<id>``), the channel and the day.

    One row per voter and campaign (the unique constraint is the proof against a double vote);
    the districts voted in are in :class:`ParticipationDistrict`. Nothing here points to a ballot.
    """

    __tablename__ = "participatory_budget_participation"
    __table_args__ = (UniqueConstraint("campaign_id", "voter_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    voter_key: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)


class ParticipationDistrict(db.Model):
    __tablename__ = "participatory_budget_participation_district"

    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_participation.id", ondelete="CASCADE"),
        primary_key=True,
    )
    district_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_district.id", ondelete="CASCADE"), primary_key=True
    )


class Ballot(db.Model):
    """What was voted in one district: a random id, the receipt's hash, the channel, the day."""

    __tablename__ = "participatory_budget_ballot"
    __table_args__ = (UniqueConstraint("district_id", "receipt_hash"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_district.id", ondelete="CASCADE"), index=True
    )
    receipt_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)

    lines = relationship(
        "BallotLine", lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )


class BallotLine(db.Model):
    __tablename__ = "participatory_budget_ballot_line"

    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("participatory_budget_ballot.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_project.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    points: Mapped[int] = mapped_column(Integer, default=1)


class VotingCode(db.Model):
    """A one-time code for postal voting, printed in numbered batches; only its hash is kept."""

    __tablename__ = "participatory_budget_code"
    __table_args__ = (UniqueConstraint("campaign_id", "batch", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    batch: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Milestone(db.Model):
    """A step of a funded project's implementation, public on the project's page; a
    document (a link) and a photo (a core cover image, with its text alternative) may go
    with it."""

    __tablename__ = "participatory_budget_milestone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    document_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    document_label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    cover_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("image.id", ondelete="SET NULL"), index=True
    )
    cover_image = relationship(Image, lazy="joined")

    def late(self, today: date) -> bool:
        return self.done_on is None and self.due_on < today


OVERRIDE_ACTIONS = {
    "add": _l("Added to the funded projects by the council"),
    "remove": _l("Removed from the funded projects by the council"),
}


class ResultOverride(db.Model):
    """A change the commune made to the computed result: a project added to or removed from
    the winners, with its public reason. The computed result and its audit record stay as
    they were; both are shown side by side, and the change is in the audit log."""

    __tablename__ = "participatory_budget_override"
    __table_args__ = (UniqueConstraint("project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_project.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project = relationship("BudgetProject", lazy="joined")

    @property
    def action_label(self):
        return OVERRIDE_ACTIONS[self.action]


PAPER_STATUSES = {
    "pending": _l("Awaiting its second entry"),
    "counted": _l("Counted: both entries match"),
    "discrepancy": _l("Discrepancy: the two entries differ"),
    "resolved": _l("Counted after a third person's review"),
    "void": _l("Void after a third person's review"),
}


class PaperSheet(db.Model):
    """A paper ballot entered twice by two agents (double entry).

    Its number is written on the sheet when the ballots are counted, not at the booth, so
    nothing here says who filled it in. The ballot is cast only when two entries by two
    agents match, or when a third person resolves their discrepancy.
    """

    __tablename__ = "participatory_budget_paper_sheet"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_district.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]

    district = relationship("District", lazy="joined")
    resolved_by = relationship("User", lazy="joined")
    entries = relationship(
        "PaperEntry", lazy="selectin", order_by="PaperEntry.position", cascade="all, delete-orphan"
    )

    @property
    def status_label(self):
        return PAPER_STATUSES[self.status]


class PaperEntry(db.Model):
    """One agent's reading of a paper sheet (1 and 2: the double entry; 3: the resolution).

    ``choice`` maps project ids (as text) to points (1 for approval); ``None`` is a sheet
    declared void by the resolution.
    """

    __tablename__ = "participatory_budget_paper_entry"
    __table_args__ = (UniqueConstraint("sheet_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_paper_sheet.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    choice: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agent = relationship("User", lazy="joined")

    def choice_ids(self) -> dict[int, int]:
        return {int(k): int(v) for k, v in (self.choice or {}).items()}


class KioskSession(db.Model):
    """A shared voting terminal at a place (the town hall's hall): opened by an agent, used
    by voters identified one after another by a voting code, closed by an agent. Only the
    hash of its token is kept; the terminal holds the token in its session cookie."""

    __tablename__ = "participatory_budget_kiosk"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), index=True
    )
    place: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # Ballots cast at this terminal (turnout per place, never what they contain).
    ballots: Mapped[int] = mapped_column(Integer, default=0)

    opened_by = relationship("User", lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class DraftStart(db.Model):
    """That a resident started a web ballot (never what they chose: the draft itself stays
    in their session cookie), so that one reminder can be sent if they do not confirm."""

    __tablename__ = "participatory_budget_draft_start"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("participatory_budget_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    started_on: Mapped[date] = mapped_column(Date)
    reminded_at: Mapped[datetime | None]
