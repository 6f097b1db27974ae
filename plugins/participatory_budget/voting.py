"""The vote: one validator (the engine's) for every channel, a secret and concurrency-proof
ballot box, receipts and one-time voting codes.

Secrecy: :class:`.models.Participation` says who voted, :class:`.models.Ballot` what was voted;
nothing joins them. A voter's receipt is an HMAC of the campaign and the voter key under the
hub's secret key, so the hub finds (and replaces) a resident's ballot from the receipt it can
recompute at the time of voting, while a copy of the database alone links no ballot to anyone.

Concurrency: the participation row is unique per voter and campaign, and is locked (``FOR
UPDATE``, or the upsert's ``ON CONFLICT DO UPDATE``; SQLite: ``BEGIN IMMEDIATE``) before the
ballot is replaced; the ballot is unique per district and receipt. Fifty ballots sent at once
by one resident leave exactly one. Every ballot first reads the phase under a shared lock of
the campaign row (:func:`.services.hold_phase`), which the close takes exclusively: a ballot
in flight is counted, or refused, never stored after the count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Date, String, bindparam, delete, func, insert, literal, select, text, update
from sqlalchemy import cast as sa_cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from hub.plugin import RuleError, db, emit, for_update, is_sqlite, local_today, utcnow

from .engine import BallotRules, validate_ballot
from .engine import Project as EngineProject
from .models import (
    Ballot,
    BallotLine,
    BudgetProject,
    Campaign,
    District,
    DraftStart,
    KioskSession,
    PaperEntry,
    PaperSheet,
    Participation,
    ParticipationDistrict,
    VotingCode,
    new_ballot_id,
)
from .services import districts_for, hold_phase, ineligibility

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class BallotInvalid(RuleError):
    """The engine found problems in the ballot; ``problems`` keeps them all."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(problem_text(problems[0]), code=problems[0].code, status=422)


def problem_text(problem) -> str:
    params = problem.params
    texts = {
        "over_budget": lambda: _(
            "Your choices cost %(total)s, more than the envelope of %(maximum)s.",
            total=money(params["total_cost"]),
            maximum=money(params["maximum"]),
        ),
        "under_min_cost": lambda: _(
            "Your choices cost %(total)s; choose projects worth at least %(minimum)s.",
            total=money(params["total_cost"]),
            minimum=money(params["minimum"]),
        ),
        "too_many_projects": lambda: _(
            "Choose at most %(maximum)d projects.", maximum=params["maximum"]
        ),
        "too_few_projects": lambda: _(
            "Choose at least %(minimum)d projects.", minimum=params["minimum"]
        ),
        "too_many_points": lambda: _(
            "You gave %(points)s points; at most %(maximum)s may be given.",
            points=params["points"],
            maximum=params["maximum"],
        ),
        "too_few_points": lambda: _(
            "You gave %(points)s points; give at least %(minimum)s.",
            points=params["points"],
            minimum=params["minimum"],
        ),
        "wrong_district": lambda: _("A chosen project is not on this district's ballot."),
        "unknown_project": lambda: _("A chosen project is not on this ballot."),
    }
    return str(texts.get(problem.code, lambda: problem.message)())


def money(value) -> str:
    from flask_babel import format_decimal

    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{format_decimal(number)}\u00a0€"


# --- Rules and validation ---------------------------------------------------------------------


def ballot_rules(campaign: Campaign, district: District) -> BallotRules:
    if campaign.vote_type == "cumulative":
        return BallotRules(
            min_length=campaign.min_projects,
            max_length=campaign.max_projects,
            min_points=1,
            max_sum_points=campaign.max_points,
        )
    max_cost = district.envelope if campaign.knapsack else None
    min_cost = None
    if campaign.knapsack and campaign.min_share_percent:
        min_cost = district.envelope * campaign.min_share_percent // 100
    return BallotRules(
        min_length=campaign.min_projects,
        max_length=campaign.max_projects,
        max_sum_cost=max_cost,
        min_sum_cost=min_cost,
    )


def ballot_projects(district: District) -> dict[str, BudgetProject]:
    rows = db.session.scalars(
        select(BudgetProject).where(
            BudgetProject.district_id == district.id,
            BudgetProject.status.in_(("feasible", "selected", "not_selected")),
        )
    ).all()
    return {str(p.id): p for p in rows}


_BALLOTS: dict[tuple[str, int], tuple[dict[str, int], dict[str, EngineProject]]] = {}


def ballot_costs(district: District, campaign: Campaign | None = None) -> dict[str, int]:
    """Project id (as text) -> cost on the ballot, for the projects on the district's ballot."""
    return _ballot_of(district, campaign)[0]


def _ballot_of(
    district: District, campaign: Campaign | None = None
) -> tuple[dict[str, int], dict[str, EngineProject]]:
    """The district's ballot: costs by project id (as text) and the engine's projects.

    During the vote the ballot cannot change (reviews and merges end when it opens, its rules
    and envelopes are locked), so each worker keeps it for the campaign (keyed by its random
    uuid, never reused): the engine's projects are built once, not on every ballot.
    """
    if campaign is not None and campaign.phase == "vote":
        key = (campaign.uuid, district.id)
        cached = _BALLOTS.get(key)
        if cached is None:
            if len(_BALLOTS) > 256:
                _BALLOTS.clear()
            cached = _BALLOTS[key] = _ballot_of(district)
        return cached
    rows = db.session.execute(
        select(
            BudgetProject.id,
            func.coalesce(BudgetProject.cost, BudgetProject.estimated_cost),
        ).where(
            BudgetProject.district_id == district.id,
            BudgetProject.status.in_(("feasible", "selected", "not_selected")),
        )
    ).all()
    costs = {str(pid): cost for pid, cost in rows}
    return costs, {key: EngineProject(id=key, cost=cost) for key, cost in costs.items()}


def check_ballot(campaign: Campaign, district: District, choice: Mapping[int, int]) -> list:
    """The engine's problems with ``choice`` (project id -> points; 1 for approval)."""
    on_ballot, engine_projects = _ballot_of(district, campaign)
    problems = []
    foreign = [pid for pid in choice if str(pid) not in on_ballot]
    if foreign:
        from .engine.model import BallotProblem

        problems.append(
            BallotProblem("wrong_district", {"projects": foreign}, "not on this ballot")
        )
        return problems
    if campaign.vote_type == "cumulative":
        ballot = {str(pid): pts for pid, pts in choice.items()}
    else:
        ballot = [str(pid) for pid in choice]
    return validate_ballot(
        ballot, engine_projects, campaign.vote_type, ballot_rules(campaign, district)
    )


# --- Receipts and voter keys ------------------------------------------------------------------


def receipt_for(campaign: Campaign, voter_key: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"pb-receipt|{campaign.uuid}|{voter_key}".encode(), "sha256").digest()
    number = int.from_bytes(digest[:10], "big")
    chars = []
    for _i in range(16):
        number, rest = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[rest])
    text = "".join(chars)
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def hash_secret(text: str) -> str:
    return hashlib.sha256(normalise_code(text).encode()).hexdigest()


def normalise_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def user_key(user) -> str:
    return f"user:{user.id}"


# --- Casting ----------------------------------------------------------------------------------
#
# The hot path of a voting day runs Core statements built once, on the session's connection:
# building an ORM-enabled ``insert(Model).values(...)`` per request (coercions, cache keys, the
# ORM's bulk-insert layer) cost more CPU than the database did.

_INSERT_PARTICIPATION_DISTRICT = ParticipationDistrict.__table__.insert()
_INSERT_BALLOT = Ballot.__table__.insert()
_INSERT_LINES = BallotLine.__table__.insert()
_CODE = VotingCode.__table__
_FIND_CODE = select(_CODE.c.id).where(
    _CODE.c.campaign_id == bindparam("campaign_id"), _CODE.c.code_hash == bindparam("code_hash")
)
_CLAIM: dict[str, object] = {}


def _claim_statement():
    """``INSERT … ON CONFLICT (campaign_id, voter_key) DO NOTHING RETURNING id`` in the
    database's dialect (built once per dialect)."""
    name = "sqlite" if is_sqlite() else "postgresql"
    stmt = _CLAIM.get(name)
    if stmt is None:
        table = Participation.__table__
        dialect_insert = sqlite_insert if name == "sqlite" else pg_insert
        stmt = _CLAIM[name] = (
            dialect_insert(table)
            .on_conflict_do_nothing(index_elements=["campaign_id", "voter_key"])
            .returning(table.c.id)
        )
    return stmt


def cast(
    campaign: Campaign,
    district: District,
    voter_key: str,
    choice: Mapping[int, int],
    *,
    channel: str,
    replace: bool = True,
) -> tuple[str, bool]:
    """Store a ballot for ``voter_key`` in ``district``; returns (receipt, replaced).

    Runs inside the caller's write transaction. ``replace=False`` (voting codes) refuses a
    second ballot with a 409. The hot path of a voting day: plain statements, no ORM objects.
    """
    if hold_phase(campaign) != "vote":
        raise RuleError(_("The vote is not open."), status=409, code="vote_closed")
    if district.campaign_id != campaign.id:
        raise RuleError(_("This district is not part of the campaign."), code="wrong_district")
    problems = check_ballot(campaign, district, choice)
    if problems:
        raise BallotInvalid(problems)
    receipt = receipt_for(campaign, voter_key)
    receipt_hash = hash_secret(receipt)
    today = local_today()
    connection = db.session.connection()
    if not is_sqlite():
        if replace:
            return _cast_replacing_postgresql(
                campaign, district, voter_key, choice, channel, today, receipt
            )
        return _cast_once_postgresql(campaign, district, voter_key, choice, channel, today, receipt)
    if replace:
        participation_id, created = _participation(campaign, voter_key, channel, today)
    else:
        participation_id, created = _claim_participation(campaign, voter_key, channel, today), True
    voted: set[int] = set()
    replaced = False
    if not created:
        voted = set(
            db.session.scalars(
                select(ParticipationDistrict.district_id).where(
                    ParticipationDistrict.participation_id == participation_id
                )
            )
        )
        replaced = bool(
            db.session.execute(
                delete(Ballot).where(
                    Ballot.district_id == district.id, Ballot.receipt_hash == receipt_hash
                )
            ).rowcount
        )
        db.session.execute(
            update(Participation)
            .where(Participation.id == participation_id)
            .values(day=today, channel=channel)
        )
    if district.id not in voted:
        if len(voted) >= campaign.districts_per_voter:
            raise RuleError(
                _(
                    "You have already voted in %(n)d districts, the most allowed.",
                    n=campaign.districts_per_voter,
                ),
                status=422,
                code="too_many_districts",
            )
        connection.execute(
            _INSERT_PARTICIPATION_DISTRICT,
            {"participation_id": participation_id, "district_id": district.id},
        )
    ballot_id = new_ballot_id()
    connection.execute(
        _INSERT_BALLOT,
        {
            "id": ballot_id,
            "campaign_id": campaign.id,
            "district_id": district.id,
            "receipt_hash": receipt_hash,
            "channel": channel,
            "day": today,
        },
    )
    if choice:
        connection.execute(
            _INSERT_LINES,
            [
                {"ballot_id": ballot_id, "project_id": int(pid), "points": int(pts)}
                for pid, pts in choice.items()
            ],
        )
    return receipt, replaced


_CAST_ONCE_SQL = """
    WITH {claim}, d AS (
        INSERT INTO participatory_budget_participation_district (participation_id, district_id)
        SELECT id, :district_id FROM p
    ), b AS (
        INSERT INTO participatory_budget_ballot
            (id, campaign_id, district_id, receipt_hash, channel, day)
        SELECT :ballot_id, :campaign_id, :district_id, :receipt_hash, :channel, :day FROM p
        RETURNING id
    ), l AS (
        INSERT INTO participatory_budget_ballot_line (ballot_id, project_id, points)
        SELECT b.id, x.project_id, x.points
        FROM b, unnest(CAST(:projects AS integer[]), CAST(:points AS integer[]))
            AS x(project_id, points)
    )
    SELECT id FROM p
    """
_CAST_ONCE = text(
    _CAST_ONCE_SQL.format(
        claim="""p AS (
        INSERT INTO participatory_budget_participation (campaign_id, voter_key, channel, day)
        VALUES (:campaign_id, :voter_key, :channel, :day)
        ON CONFLICT (campaign_id, voter_key) DO NOTHING
        RETURNING id
    )"""
    )
)
# The same, claiming the code only while the campaign is in its vote, under the campaign row's
# shared lock (``vote`` read again once a close that held the row has committed).
_CAST_ONCE_IN_VOTE = text(
    _CAST_ONCE_SQL.format(
        claim="""v AS (
        SELECT id FROM participatory_budget_campaign
        WHERE id = :campaign_id AND uuid = :uuid AND phase = 'vote'
        FOR SHARE
    ), p AS (
        INSERT INTO participatory_budget_participation (campaign_id, voter_key, channel, day)
        SELECT id, :voter_key, :channel, :day FROM v
        ON CONFLICT (campaign_id, voter_key) DO NOTHING
        RETURNING id
    )"""
    )
)


def _cast_once_postgresql(campaign, district, voter_key, choice, channel, today, receipt):
    """A one-time voter's ballot on PostgreSQL in one statement (one round trip instead of
    four): the participation row is claimed with ``INSERT … ON CONFLICT DO NOTHING`` and the
    district, the ballot and its lines are inserted only from the claimed row. The guarantees
    are those of the separate statements: the unique key (campaign, voter key) makes a
    concurrent second claim wait, then insert nothing (409); the two tables still share no
    column (the ballot's rows come from the parameters, not from the participation's id)."""
    claimed = (
        db.session.connection()
        .execute(
            _CAST_ONCE,
            {
                "campaign_id": campaign.id,
                "voter_key": voter_key,
                "channel": channel,
                "day": today,
                "district_id": district.id,
                "ballot_id": new_ballot_id(),
                "receipt_hash": hash_secret(receipt),
                "projects": [int(pid) for pid in choice],
                "points": [int(pts) for pts in choice.values()],
            },
        )
        .scalar()
    )
    if claimed is None:
        raise RuleError(_("This code has already been used."), status=409, code="code_used")
    return receipt, False


_UPSERT_PARTICIPATION = text(
    """
    INSERT INTO participatory_budget_participation (campaign_id, voter_key, channel, day)
    VALUES (:campaign_id, :voter_key, :channel, :day)
    ON CONFLICT (campaign_id, voter_key)
        DO UPDATE SET channel = EXCLUDED.channel, day = EXCLUDED.day
    RETURNING id
    """
)

# Run after the participation row is locked, so its snapshot holds every earlier ballot of
# the voter. ``gone`` (the replaced ballot deleted) and ``d`` (the district recorded) are read
# by ``b``, which makes them run before the new ballot is inserted.
_REPLACE_BALLOT = text(
    """
    WITH voted AS (
        SELECT district_id FROM participatory_budget_participation_district
        WHERE participation_id = :participation_id
    ), del AS (
        DELETE FROM participatory_budget_ballot
        WHERE district_id = :district_id AND receipt_hash = :receipt_hash
        RETURNING id
    ), gone AS (
        SELECT count(*) AS n FROM del
    ), here AS (
        SELECT EXISTS (SELECT 1 FROM voted WHERE district_id = :district_id) AS known,
               (SELECT count(*) FROM voted) AS n
    ), d AS (
        INSERT INTO participatory_budget_participation_district (participation_id, district_id)
        SELECT :participation_id, :district_id FROM here
        WHERE NOT here.known AND here.n < :districts_per_voter
        RETURNING district_id
    ), b AS (
        INSERT INTO participatory_budget_ballot
            (id, campaign_id, district_id, receipt_hash, channel, day)
        SELECT :ballot_id, :campaign_id, :district_id, :receipt_hash, :channel, :day
        FROM gone, here
        WHERE here.known OR EXISTS (SELECT 1 FROM d)
        RETURNING id
    ), l AS (
        INSERT INTO participatory_budget_ballot_line (ballot_id, project_id, points)
        SELECT b.id, x.project_id, x.points
        FROM b, unnest(CAST(:projects AS integer[]), CAST(:points AS integer[]))
            AS x(project_id, points)
    )
    SELECT (SELECT n FROM gone) AS replaced, (SELECT count(*) FROM b) AS stored
    """
)


def _cast_replacing_postgresql(campaign, district, voter_key, choice, channel, today, receipt):
    """A resident's ballot on PostgreSQL in two statements instead of seven: the participation
    row upserted (``ON CONFLICT DO UPDATE`` locks it: a concurrent ballot of the same voter
    waits for this one's commit), then, on a fresh snapshot, the previous ballot of the district
    deleted, the district recorded (within ``districts_per_voter``), the ballot and its lines
    inserted. The guarantees are those of the separate statements; the ballot's rows still come
    from the parameters, never from the participation's id."""
    connection = db.session.connection()
    participation_id = connection.execute(
        _UPSERT_PARTICIPATION,
        {"campaign_id": campaign.id, "voter_key": voter_key, "channel": channel, "day": today},
    ).scalar_one()
    replaced, stored = connection.execute(
        _REPLACE_BALLOT,
        {
            "participation_id": participation_id,
            "districts_per_voter": campaign.districts_per_voter,
            "campaign_id": campaign.id,
            "district_id": district.id,
            "ballot_id": new_ballot_id(),
            "receipt_hash": hash_secret(receipt),
            "channel": channel,
            "day": today,
            "projects": [int(pid) for pid in choice],
            "points": [int(pts) for pts in choice.values()],
        },
    ).one()
    if not stored:
        raise RuleError(
            _(
                "You have already voted in %(n)d districts, the most allowed.",
                n=campaign.districts_per_voter,
            ),
            status=422,
            code="too_many_districts",
        )
    return receipt, bool(replaced)


def _participation(campaign: Campaign, voter_key: str, channel: str, today) -> tuple[int, bool]:
    """The id of the voter's participation row, locked; created if missing (a concurrent
    writer waits on the unique key, then finds the first one's row)."""
    stmt = for_update(
        select(Participation.id).where(
            Participation.campaign_id == campaign.id, Participation.voter_key == voter_key
        )
    )
    found = db.session.scalar(stmt)
    if found is not None:
        return found, False
    if is_sqlite():  # BEGIN IMMEDIATE: no other writer can insert it meanwhile
        new_id = db.session.execute(
            insert(Participation)
            .values(campaign_id=campaign.id, voter_key=voter_key, channel=channel, day=today)
            .returning(Participation.id)
        ).scalar_one()
        return new_id, True
    try:
        with db.session.begin_nested():
            new_id = db.session.execute(
                insert(Participation)
                .values(campaign_id=campaign.id, voter_key=voter_key, channel=channel, day=today)
                .returning(Participation.id)
            ).scalar_one()
        return new_id, True
    except IntegrityError:
        return db.session.scalar(stmt), False


def _claim_participation(campaign: Campaign, voter_key: str, channel: str, today) -> int:
    """A one-time voter's participation row, created now, or a 409 when it exists: one
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (no lookup first). A concurrent writer of the
    same key waits on the unique key, then inserts nothing and gets the 409."""
    new_id = (
        db.session.connection()
        .execute(
            _claim_statement(),
            {"campaign_id": campaign.id, "voter_key": voter_key, "channel": channel, "day": today},
        )
        .scalar()
    )
    if new_id is None:
        raise RuleError(_("This code has already been used."), status=409, code="code_used")
    return new_id


def has_voted(campaign: Campaign, user) -> list[int]:
    """Districts (ids) the resident voted in: from the participation, never from a ballot."""
    return list(
        db.session.scalars(
            select(ParticipationDistrict.district_id)
            .join(Participation, Participation.id == ParticipationDistrict.participation_id)
            .where(
                Participation.campaign_id == campaign.id,
                Participation.voter_key == user_key(user),
            )
        )
    )


def vote_as_resident(campaign: Campaign, district: District, user, choice, *, channel="web"):
    reason = ineligibility(user, campaign)
    if reason:
        raise RuleError(reason, status=403, code="not_eligible")
    if district not in districts_for(user, campaign):
        raise RuleError(_("You cannot vote in this district."), status=422, code="wrong_district")
    return cast(campaign, district, user_key(user), choice, channel=channel)


def ballot_of_receipt(campaign: Campaign, district: District, receipt: str) -> Ballot | None:
    """The ballot a receipt stands for (the voter checks what was recorded)."""
    return db.session.scalars(
        select(Ballot).where(
            Ballot.district_id == district.id, Ballot.receipt_hash == hash_secret(receipt)
        )
    ).first()


# --- Voting codes -----------------------------------------------------------------------------


def generate_codes(campaign: Campaign, count: int, actor) -> tuple[int, list[tuple[int, str]]]:
    """Create ``count`` one-time codes in a new numbered batch; returns (batch, [(number, code)]).

    The codes themselves are returned once, for printing; only their hashes are stored.
    """
    last = db.session.scalar(
        select(VotingCode.batch)
        .where(VotingCode.campaign_id == campaign.id)
        .order_by(VotingCode.batch.desc())
        .limit(1)
    )
    batch = (last or 0) + 1
    out = []
    rows = []
    for number in range(1, count + 1):
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(12))
        out.append((number, "-".join(code[i : i + 4] for i in range(0, 12, 4))))
        rows.append(
            {
                "campaign_id": campaign.id,
                "batch": batch,
                "number": number,
                "code_hash": hash_secret(code),
                "created_at": utcnow(),
            }
        )
    for start in range(0, len(rows), 5000):
        db.session.execute(VotingCode.__table__.insert(), rows[start : start + 5000])
    emit("participatory_budget.codes_generated", campaign, actor=actor, batch=batch, count=count)
    return batch, out


def code_voter_key(campaign: Campaign, code: str) -> str:
    row = (
        db.session.connection()
        .execute(_FIND_CODE, {"campaign_id": campaign.id, "code_hash": hash_secret(code)})
        .first()
    )
    if row is None:
        raise RuleError(_("This voting code is not valid."), status=403, code="invalid_code")
    return f"code:{row.id}"


def vote_with_code(campaign: Campaign, district: District, code: str, choice, *, channel="code"):
    key = code_voter_key(campaign, code)
    return cast(campaign, district, key, choice, channel=channel, replace=False)


# --- The API's one-time voters: everything but the writes done before the write lock ----------
#
# A voting day is tens of thousands of code ballots through the API. Everything a ballot needs
# besides its writes is read or computed before the write transaction begins, in the request's
# read transaction: the campaign's vote (kept by each worker), the code's row, the engine's
# check, the receipt and its hash. Under the lock (SQLite's ``BEGIN IMMEDIATE``; PostgreSQL's
# shared lock of the campaign row) only the writes remain, the phase read in the statement that
# claims the code. This is sound because the phase only moves forward and nothing a ballot is
# checked against changes during the vote (rules, envelopes and projects are locked when it
# opens): a ballot prepared against the vote, claimed while the phase is still "vote", is the
# ballot :func:`cast` would have stored.


@dataclass(frozen=True)
class BoxDistrict:
    id: int
    campaign_id: int
    envelope: int


@dataclass(frozen=True)
class VoteBox:
    """A campaign during its vote, as a ballot is checked against it (the attributes
    :func:`check_ballot`, :func:`ballot_rules` and :func:`receipt_for` read)."""

    id: int
    uuid: str
    phase: str
    vote_type: str
    min_projects: int | None
    max_projects: int | None
    knapsack: bool
    min_share_percent: int
    max_points: int | None
    districts_per_voter: int
    districts: tuple[BoxDistrict, ...]


@dataclass(frozen=True)
class PreparedBallot:
    box: VoteBox
    district: BoxDistrict
    voter_key: str
    lines: tuple[tuple[int, int], ...]
    problems: tuple
    receipt: str
    receipt_hash: str
    ballot_id: str
    today: object


_VOTE_BOXES: dict[int, VoteBox] = {}
_CAMPAIGN = Campaign.__table__
_PHASE_AND_UUID = select(_CAMPAIGN.c.phase, _CAMPAIGN.c.uuid).where(
    _CAMPAIGN.c.id == bindparam("campaign_id")
)
# The same row with the id of the code whose hash is given (NULL for an unknown code): the
# phase and the code in one round trip.
_PHASE_UUID_AND_CODE = select(
    _CAMPAIGN.c.phase,
    _CAMPAIGN.c.uuid,
    select(_CODE.c.id)
    .where(_CODE.c.campaign_id == _CAMPAIGN.c.id, _CODE.c.code_hash == bindparam("code_hash"))
    .scalar_subquery()
    .label("code_id"),
).where(_CAMPAIGN.c.id == bindparam("campaign_id"))


def vote_box(campaign_id: int, code: str | None = None) -> tuple[VoteBox | None, str | None]:
    """The campaign's vote (None when it is not in its vote phase, or unknown) and, when
    ``code`` is given, the code's voter key (None for an unknown code). One read per ballot:
    the phase, the uuid (ids of a deleted campaign may come back) and the code's row; the
    rest is read once per worker and campaign (and uuid)."""
    if code is None:
        row = db.session.connection().execute(_PHASE_AND_UUID, {"campaign_id": campaign_id})
    else:
        row = db.session.connection().execute(
            _PHASE_UUID_AND_CODE,
            {"campaign_id": campaign_id, "code_hash": hash_secret(code)},
        )
    row = row.first()
    if row is None or row.phase != "vote":
        _VOTE_BOXES.pop(campaign_id, None)
        return None, None
    voter_key = f"code:{row.code_id}" if code is not None and row.code_id is not None else None
    box = _VOTE_BOXES.get(campaign_id)
    if box is not None and box.uuid == row.uuid:
        return box, voter_key
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return None, None
    box = VoteBox(
        id=campaign.id,
        uuid=campaign.uuid,
        phase="vote",
        vote_type=campaign.vote_type,
        min_projects=campaign.min_projects,
        max_projects=campaign.max_projects,
        knapsack=campaign.knapsack,
        min_share_percent=campaign.min_share_percent,
        max_points=campaign.max_points,
        districts_per_voter=campaign.districts_per_voter,
        districts=tuple(BoxDistrict(d.id, d.campaign_id, d.envelope) for d in campaign.districts),
    )
    if campaign.phase != "vote" or box.uuid != row.uuid:  # moved on since the first read
        return None, None
    if len(_VOTE_BOXES) > 256:
        _VOTE_BOXES.clear()
    _VOTE_BOXES[campaign_id] = box
    return box, voter_key


def prepare_code_ballot(
    box: VoteBox, district: BoxDistrict, voter_key: str | None, choice
) -> PreparedBallot:
    """Everything a code ballot needs but its writes, outside the write transaction: the
    code's voter key read with the vote (:func:`vote_box`; an invalid code: 403), the
    engine's problems (answered under the lock, after the phase, as :func:`cast` orders
    them), the receipt and its hash, the ballot's id."""
    if voter_key is None:
        raise RuleError(_("This voting code is not valid."), status=403, code="invalid_code")
    receipt = receipt_for(box, voter_key)
    return PreparedBallot(
        box=box,
        district=district,
        voter_key=voter_key,
        lines=tuple((int(pid), int(pts)) for pid, pts in choice.items()),
        problems=tuple(check_ballot(box, district, choice)),
        receipt=receipt,
        receipt_hash=hash_secret(receipt),
        ballot_id=new_ballot_id(),
        today=local_today(),
    )


def cast_prepared(ballot: PreparedBallot, *, channel: str = "code") -> str:
    """Store a prepared one-time ballot; returns its receipt. Runs inside the caller's write
    transaction. The code is claimed only while the campaign (the same one: its uuid) is in
    its vote, in one statement; the guarantees are those of :func:`cast` with
    ``replace=False``: the unique key (campaign, voter key) makes a concurrent claim of the
    same code wait, then insert nothing (409); on PostgreSQL the claim takes the campaign
    row's shared lock, which the close takes exclusively."""
    box = ballot.box
    if ballot.problems:
        _refuse_unless_in_vote(box)
        raise BallotInvalid(list(ballot.problems))
    connection = db.session.connection()
    participation_id = _claim_code(connection, ballot, channel)
    if participation_id is None:
        _refuse_unless_in_vote(box)
        raise RuleError(_("This code has already been used."), status=409, code="code_used")
    if is_sqlite():
        connection.execute(
            _INSERT_PARTICIPATION_DISTRICT,
            {"participation_id": participation_id, "district_id": ballot.district.id},
        )
        connection.execute(
            _INSERT_BALLOT,
            {
                "id": ballot.ballot_id,
                "campaign_id": box.id,
                "district_id": ballot.district.id,
                "receipt_hash": ballot.receipt_hash,
                "channel": channel,
                "day": ballot.today,
            },
        )
        if ballot.lines:
            connection.execute(
                _INSERT_LINES,
                [
                    {"ballot_id": ballot.ballot_id, "project_id": pid, "points": pts}
                    for pid, pts in ballot.lines
                ],
            )
    return ballot.receipt


def _claim_code(connection, ballot: PreparedBallot, channel: str) -> int | None:
    """The code's participation row, claimed while the campaign is in its vote (None when the
    code is used or the vote is over); on PostgreSQL the ballot's rows go in the same
    statement."""
    params = {
        "campaign_id": ballot.box.id,
        "uuid": ballot.box.uuid,
        "voter_key": ballot.voter_key,
        "channel": channel,
        "day": ballot.today,
    }
    if is_sqlite():
        return connection.execute(_CLAIM_IN_VOTE, params).scalar()
    return connection.execute(
        _CAST_ONCE_IN_VOTE,
        {
            **params,
            "district_id": ballot.district.id,
            "ballot_id": ballot.ballot_id,
            "receipt_hash": ballot.receipt_hash,
            "projects": [pid for pid, _pts in ballot.lines],
            "points": [pts for _pid, pts in ballot.lines],
        },
    ).scalar()


def _refuse_unless_in_vote(box: VoteBox) -> None:
    """Under the lock: 409 when the vote of ``box`` is over (its campaign moved on). On
    PostgreSQL the read takes the campaign row's shared lock, as the claim does: a ballot
    refused (used code, problems) while the vote closes waits for the close and is answered
    "The vote is not open." (409), as on SQLite, whose write transaction waits the same way;
    a 422 would invite the voter to correct a ballot that can no longer be counted."""
    row = db.session.connection().execute(_PHASE_AND_UUID_SHARED, {"campaign_id": box.id}).first()
    if row is None or row.phase != "vote" or row.uuid != box.uuid:
        _VOTE_BOXES.pop(box.id, None)
        raise RuleError(_("The vote is not open."), status=409, code="vote_closed")


_PHASE_AND_UUID_SHARED = _PHASE_AND_UUID.with_for_update(read=True)  # SQLite: no clause

# SQLite (inside BEGIN IMMEDIATE): the code claimed only while the campaign is in its vote.
_CLAIM_IN_VOTE = text(
    """
    INSERT INTO participatory_budget_participation (campaign_id, voter_key, channel, day)
    SELECT id, :voter_key, :channel, :day FROM participatory_budget_campaign
    WHERE id = :campaign_id AND uuid = :uuid AND phase = 'vote'
    ON CONFLICT (campaign_id, voter_key) DO NOTHING
    RETURNING id
    """
).bindparams(bindparam("day", type_=Date))


# --- Paper ballots ---------------------------------------------------------------------------
#
# A paper ballot is entered twice, by two agents, each reading the sheet on their own. Matching
# entries cast it; differing ones go to the discrepancy report, where a third person reads the
# sheet and decides (counted as read, or void), with a note. Every step is audited, without the
# content of the ballot.

SHEET_NUMBER_MAX = 30


def normalise_sheet_number(text: str) -> str:
    return " ".join((text or "").split()).upper()


def _paper_key() -> str:
    """The voter signed the register at the booth; the ballot gets a fresh random key, so
    nothing in the database says who wrote it."""
    return f"paper:{secrets.token_hex(12)}"


def _as_json(choice: Mapping[int, int]) -> dict[str, int]:
    return {str(int(pid)): int(pts) for pid, pts in choice.items()}


def _locked_sheet(campaign: Campaign, number: str):
    # No eager join: PostgreSQL locks no row on the nullable side of an outer join.
    return db.session.scalars(
        for_update(
            select(PaperSheet)
            .options(lazyload(PaperSheet.district), lazyload(PaperSheet.resolved_by))
            .where(PaperSheet.campaign_id == campaign.id, PaperSheet.number == number)
            .execution_options(populate_existing=True)
        )
    ).first()


def enter_paper_entry(
    campaign: Campaign, district: District, number: str, choice: Mapping[int, int], agent
) -> str:
    """One agent's entry of paper sheet ``number``; returns ``"first"`` (the other entry is
    awaited), ``"counted"`` (both entries match: the ballot is cast) or ``"discrepancy"``.

    Runs inside the caller's write transaction; the sheet row is locked, so two agents
    entering the same sheet at once are served one after the other.
    """
    if hold_phase(campaign) != "vote":
        raise RuleError(_("The vote is not open."), status=409, code="vote_closed")
    if district.campaign_id != campaign.id:
        raise RuleError(_("This district is not part of the campaign."), code="wrong_district")
    number = normalise_sheet_number(number)
    if not number:
        raise RuleError(_("Give the number written on the ballot."), field="number")
    if len(number) > SHEET_NUMBER_MAX:
        raise RuleError(
            _("A ballot number has at most %(n)d characters.", n=SHEET_NUMBER_MAX),
            field="number",
        )
    problems = check_ballot(campaign, district, choice)
    if problems:
        raise BallotInvalid(problems)
    sheet = _locked_sheet(campaign, number)
    if sheet is None:
        sheet = _new_sheet(campaign, district, number, choice, agent)
        if sheet is None:
            emit(
                "participatory_budget.paper_entry_recorded",
                campaign,
                actor=agent,
                district=district.name,
                sheet=number,
                entry=1,
            )
            return "first"
    if sheet.district_id != district.id:
        raise RuleError(
            _(
                "Ballot %(number)s was entered for %(district)s: check the number.",
                number=number,
                district=sheet.district.name,
            ),
            field="number",
            code="sheet_district",
        )
    if sheet.status != "pending":
        raise RuleError(
            _(
                "Ballot %(number)s is already entered twice (%(status)s).",
                number=number,
                status=str(sheet.status_label),
            ),
            status=409,
            field="number",
            code="sheet_done",
        )
    first = sheet.entries[0]
    if first.agent_id == agent.id:
        raise RuleError(
            _(
                "You entered ballot %(number)s already: another agent enters it a second time.",
                number=number,
            ),
            status=409,
            field="number",
            code="same_agent",
        )
    sheet.entries.append(PaperEntry(position=2, agent_id=agent.id, choice=_as_json(choice)))
    if first.choice == _as_json(choice):
        cast(campaign, district, _paper_key(), choice, channel="paper", replace=False)
        sheet.status = "counted"
        emit(
            "participatory_budget.paper_ballot_entered",
            campaign,
            actor=agent,
            district=district.name,
            sheet=number,
            entry=2,
        )
    else:
        sheet.status = "discrepancy"
        emit(
            "participatory_budget.paper_discrepancy",
            campaign,
            actor=agent,
            district=district.name,
            sheet=number,
            entry=2,
        )
    db.session.flush()
    return sheet.status


def _new_sheet(campaign, district, number, choice, agent):
    """Record the first entry of a new sheet (None), or return the sheet another agent
    created at the same moment (locked), to be entered as its second entry."""

    def add():
        sheet = PaperSheet(campaign_id=campaign.id, district_id=district.id, number=number)
        sheet.entries.append(PaperEntry(position=1, agent_id=agent.id, choice=_as_json(choice)))
        db.session.add(sheet)
        db.session.flush()

    if is_sqlite():  # BEGIN IMMEDIATE: no other writer can insert it meanwhile
        add()
        return None
    try:
        with db.session.begin_nested():
            add()
        return None
    except IntegrityError:
        return _locked_sheet(campaign, number)


def resolve_discrepancy(sheet, choice: Mapping[int, int] | None, resolver, *, note: str) -> None:
    """A third person reads the sheet and decides: counted as read (``choice``) or void
    (``None``); the note is kept with the sheet and in the audit log."""
    campaign = db.session.get(Campaign, sheet.campaign_id)
    if hold_phase(campaign) != "vote":
        raise RuleError(_("The vote is not open."), status=409, code="vote_closed")
    # Locked and read afresh: two people resolving the same sheet at once cast it once.
    sheet = _locked_sheet(campaign, sheet.number)
    if sheet.status != "discrepancy":
        raise RuleError(
            _("This ballot has no discrepancy to resolve."), status=409, code="sheet_done"
        )
    if resolver.id in {e.agent_id for e in sheet.entries}:
        raise RuleError(
            _("A third person resolves a discrepancy, not one of the two agents who entered it."),
            status=403,
            code="same_agent",
        )
    note = (note or "").strip()
    if not note:
        raise RuleError(_("Say what the sheet shows and why: the note is kept."), field="note")
    if choice is not None:
        district = db.session.get(District, sheet.district_id)
        cast(campaign, district, _paper_key(), choice, channel="paper", replace=False)
    sheet.entries.append(
        PaperEntry(
            position=3, agent_id=resolver.id, choice=None if choice is None else _as_json(choice)
        )
    )
    sheet.status = "void" if choice is None else "resolved"
    sheet.resolution_note = note
    sheet.resolved_by_id = resolver.id
    sheet.resolved_at = utcnow()
    emit(
        "participatory_budget.paper_discrepancy_resolved",
        campaign,
        actor=resolver,
        district=sheet.district.name,
        sheet=sheet.number,
        outcome=sheet.status,
        note=note,
    )


def unfinished_sheets(campaign: Campaign) -> int:
    """Paper ballots awaiting their second entry or the resolution of a discrepancy."""
    return db.session.scalar(
        select(func.count()).where(
            PaperSheet.campaign_id == campaign.id,
            PaperSheet.status.in_(("pending", "discrepancy")),
        )
    )


# --- Kiosk: a shared terminal at the town hall ----------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def open_kiosk(campaign: Campaign, place: str, agent) -> tuple[KioskSession, str]:
    """Open a voting kiosk at ``place``; returns it and its token (kept by the terminal only)."""
    if hold_phase(campaign) != "vote":
        raise RuleError(_("The vote is not open."), status=409, code="vote_closed")
    place = (place or "").strip()
    if not place:
        raise RuleError(_("Say where the kiosk stands."), field="place")
    token = secrets.token_urlsafe(24)
    kiosk = KioskSession(
        campaign_id=campaign.id, place=place, token_hash=_token_hash(token), opened_by_id=agent.id
    )
    db.session.add(kiosk)
    db.session.flush()
    emit("participatory_budget.kiosk_opened", campaign, actor=agent, kiosk=kiosk.id, place=place)
    return kiosk, token


def kiosk_of(kiosk_id, token) -> KioskSession | None:
    """The open kiosk a terminal's session stands for, or None."""
    if not kiosk_id or not token:
        return None
    kiosk = db.session.get(KioskSession, kiosk_id)
    if (
        kiosk is None
        or not kiosk.is_open
        or not hmac.compare_digest(kiosk.token_hash, _token_hash(token))
    ):
        return None
    return kiosk


def close_kiosk(kiosk: KioskSession, agent) -> None:
    if not kiosk.is_open:
        return
    kiosk.closed_at = utcnow()
    emit(
        "participatory_budget.kiosk_closed",
        db.session.get(Campaign, kiosk.campaign_id),
        actor=agent,
        kiosk=kiosk.id,
        place=kiosk.place,
        ballots=kiosk.ballots,
    )


def kiosk_voter_key(campaign: Campaign, code: str) -> str:
    """The voter key of an unused voting code typed at a kiosk."""
    key = code_voter_key(campaign, code)
    used = db.session.scalar(
        select(Participation.id).where(
            Participation.campaign_id == campaign.id, Participation.voter_key == key
        )
    )
    if used is not None:
        raise RuleError(_("This code has already been used."), status=409, code="code_used")
    return key


def vote_at_kiosk(kiosk: KioskSession, campaign: Campaign, district: District, key: str, choice):
    """Cast a code voter's ballot at the kiosk (once per code, like a postal vote)."""
    if not kiosk.is_open or kiosk.campaign_id != campaign.id:
        raise RuleError(_("This kiosk is closed."), status=409, code="kiosk_closed")
    receipt, _replaced = cast(campaign, district, key, choice, channel="kiosk", replace=False)
    db.session.execute(
        update(KioskSession)
        .where(KioskSession.id == kiosk.id)
        .values(ballots=KioskSession.ballots + 1)
    )
    return receipt


# --- Reminders to unfinished ballots --------------------------------------------------------------


def draft_started(campaign: Campaign, user) -> None:
    """Note that a resident started a web ballot (the choices stay in their cookie)."""
    if db.session.get(DraftStart, (campaign.id, user.id)) is not None:
        return
    row = DraftStart(campaign_id=campaign.id, user_id=user.id, started_on=local_today())
    if is_sqlite():  # BEGIN IMMEDIATE: no other writer meanwhile
        db.session.add(row)
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same resident saving twice at once
        pass


def send_reminders(campaign: Campaign, *, older_than_days: int = 1) -> int:
    """One reminder email, as each resident chose in their notification preferences, to
    residents who started a ballot more than ``older_than_days`` ago and never confirmed a
    vote. Returns how many were sent (or recorded as handled for those who want no email)."""
    from datetime import timedelta

    from flask import url_for

    from hub.plugin import User, mail_person

    if campaign.phase != "vote":
        return 0
    cutoff = local_today() - timedelta(days=older_than_days)
    voted = (
        select(Participation.id)
        .where(
            Participation.campaign_id == campaign.id,
            Participation.voter_key
            == literal("user:", String) + sa_cast(DraftStart.user_id, String),
        )
        .exists()
    )
    rows = db.session.execute(
        select(DraftStart, User)
        .join(User, User.id == DraftStart.user_id)
        .where(
            DraftStart.campaign_id == campaign.id,
            DraftStart.reminded_at.is_(None),
            DraftStart.started_on <= cutoff,
            ~voted,
        )
    ).all()
    link = url_for("participatory_budget.vote_start", campaign_id=campaign.id, _external=True)
    vote = campaign.planned("vote")
    sent = 0
    for draft, user in rows:
        draft.reminded_at = utcnow()
        if not user.is_active or not user.email_confirmed:
            continue
        if mail_person(
            user,
            _("Your vote in “%(title)s” is not confirmed yet", title=campaign.title),
            "participatory_budget/email/reminder.txt",
            topic="participatory_budget",
            campaign=campaign,
            link=link,
            closes_on=vote.ends_on if vote else None,
        ):
            sent += 1
    return sent
