"""Budget instances, ballots, ballot rules and ballot validation.

All amounts (costs, the budget limit, points) are exact: ``int`` when integral, otherwise
``fractions.Fraction``. Nothing here ever holds a float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

Number = int | Fraction

VOTE_TYPES = ("approval", "cumulative", "choose-1")


# Numbers as budget files write them: digits with optional decimals, or a fraction, at most
# 18 digits before and 12 after the point. Anything else (exponents such as ``1e99999999``,
# which would take minutes to expand, infinities, NaN, other scripts' digits) is refused.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})")
_FRACTION = re.compile(r"([+-]?[0-9]{1,18})/([0-9]{1,18})")


def exact(value: str | int | Fraction) -> Number:
    """Parse a decimal or fraction string (``"4000.0"``, ``"1/3"``, ``"12,5"``) exactly."""
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return normalize(value)
    text = value.strip().replace(",", ".")
    if not text:
        raise ValueError("empty number")
    if _DECIMAL.fullmatch(text):
        return normalize(Fraction(text))
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        if int(fraction.group(2)) == 0:
            raise ValueError(f"{value.strip()[:40]!r} divides by zero")
        return normalize(Fraction(int(fraction.group(1)), int(fraction.group(2))))
    raise ValueError(
        f"{value.strip()[:40]!r} is not a number (digits with up to 18 before and 12 after "
        "the decimal point, or a fraction such as 1/3)"
    )


def normalize(value: Number) -> Number:
    """Return an ``int`` for an integral fraction, the fraction otherwise."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def number_text(value: Number) -> str:
    """Exact, parseable text for a number: ``12``, ``12.5`` or ``1/3``."""
    value = normalize(value)
    if isinstance(value, int):
        return str(value)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(twos, fives)
    scaled = value * 10**digits
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled.numerator), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def to_json_number(value: Number) -> int | str:
    """JSON-safe exact value: an integer, or a string such as ``"12.5"`` or ``"1/3"``."""
    value = normalize(value)
    return value if isinstance(value, int) else number_text(value)


@dataclass(frozen=True, slots=True)
class Project:
    """A budget project. ``fields`` keeps any other Pabulib column, as text, for round trips."""

    id: str
    cost: Number
    name: str = ""
    category: str | None = None
    district: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(slots=True)
class Ballot:
    """One voter's ballot.

    ``projects`` lists project ids in the order written; ``points`` (cumulative ballots only)
    is aligned with it. ``extra`` holds the other VOTES columns (age, sex, ...) aligned with
    ``Election.vote_fields``.
    """

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Number, ...] | None = None
    extra: tuple[str, ...] = ()

    def utilities(self) -> Iterable[tuple[str, Number]]:
        """Pairs (project id, points); points are 1 for approval ballots."""
        if self.points is None:
            return ((p, 1) for p in self.projects)
        return zip(self.projects, self.points)


@dataclass(frozen=True, slots=True)
class BallotRules:
    """What a valid ballot looks like.

    ``min_length``/``max_length`` bound the number of projects chosen (approval, cumulative);
    ``min_points``/``max_points`` bound the points given to one project and
    ``min_sum_points``/``max_sum_points`` the points given in total (cumulative);
    ``max_sum_cost`` is the knapsack constraint: the chosen projects must cost at most this
    (often the budget limit itself) and ``min_sum_cost`` at least this.
    """

    min_length: int | None = None
    max_length: int | None = None
    min_points: Number | None = None
    max_points: Number | None = None
    min_sum_points: Number | None = None
    max_sum_points: Number | None = None
    min_sum_cost: Number | None = None
    max_sum_cost: Number | None = None


@dataclass(frozen=True, slots=True)
class BallotProblem:
    """Why a ballot is invalid: a stable ``code``, its ``params`` and an English ``message``."""

    code: str
    params: Mapping[str, object]
    message: str


@dataclass
class Election:
    """A budget instance with its ballots.

    ``meta``, ``project_columns`` and ``vote_fields`` keep what the Pabulib file said so that
    it can be written back without loss.
    """

    projects: list[Project]
    budget: Number
    vote_type: str = "approval"
    ballots: list[Ballot] = field(default_factory=list)
    ballot_rules: BallotRules = field(default_factory=BallotRules)
    meta: dict[str, str] = field(default_factory=dict)
    project_columns: list[str] = field(default_factory=list)
    vote_fields: list[str] = field(default_factory=list)
    # Where each META key was read (and "sections": where each section starts), for messages.
    meta_lines: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.vote_type not in VOTE_TYPES:
            raise ValueError(
                f"unsupported vote type {self.vote_type!r}; expected one of {VOTE_TYPES}"
            )
        self._by_id = {}
        for project in self.projects:
            if project.id in self._by_id:
                raise ValueError(f"duplicate project id {project.id!r}")
            if project.cost < 0:
                raise ValueError(f"project {project.id!r} has a negative cost")
            self._by_id[project.id] = project
        if self.budget < 0:
            raise ValueError("the budget limit is negative")

    def project(self, project_id: str) -> Project:
        return self._by_id[project_id]

    def has_project(self, project_id: str) -> bool:
        return project_id in self._by_id

    def ballot_counts(self) -> dict[str, Number]:
        """Per project: number of approvals, or sum of points for cumulative ballots."""
        totals: dict[str, Number] = {p.id: 0 for p in self.projects}
        for ballot in self.ballots:
            if ballot.points is None:
                for pid in ballot.projects:
                    totals[pid] += 1
            else:
                for pid, pts in zip(ballot.projects, ballot.points):
                    totals[pid] += pts
        return totals

    def scores(self) -> dict[str, Number]:
        """The score greedy rules rank by.

        Approval and choose-1: the file's ``votes`` column when every project has one (this is
        what the city published and what reproduces the published outcomes), otherwise the
        number of ballots approving the project. Cumulative: the sum of points on the ballots,
        or the file's ``score`` column when the file carries no ballots.
        """
        if self.vote_type == "cumulative":
            if not self.ballots and all("score" in p.fields for p in self.projects):
                return {p.id: exact(p.fields["score"]) for p in self.projects}
            return self.ballot_counts()
        if self.projects and all(_has_number(p.fields.get("votes")) for p in self.projects):
            return {p.id: exact(p.fields["votes"]) for p in self.projects}
        return self.ballot_counts()

    def validate_ballot(self, ballot: Ballot) -> list[BallotProblem]:
        """Check one ballot against this instance's vote type and ballot rules."""
        return validate_ballot(ballot, self.projects, self.vote_type, self.ballot_rules)


def _has_number(text: str | None) -> bool:
    if text is None or not text.strip() or text.strip().lower() == "none":
        return False
    try:
        exact(text)
    except ValueError:
        return False
    return True


def validate_ballot(
    ballot: Ballot | Sequence[str] | Mapping[str, Number],
    projects: Sequence[Project] | Mapping[str, Project],
    vote_type: str,
    rules: BallotRules = BallotRules(),
) -> list[BallotProblem]:
    """Return every reason why ``ballot`` breaks the rules; an empty list means it is valid.

    ``ballot`` may be a :class:`Ballot`, a list of project ids (approval, choose-1) or a
    mapping project id -> points (cumulative). Problems carry a stable code so that the web
    layer can translate them.
    """
    if isinstance(ballot, Ballot):
        chosen = list(ballot.projects)
        points = list(ballot.points) if ballot.points is not None else None
    elif isinstance(ballot, Mapping):
        chosen = list(ballot)
        points = list(ballot.values())
    else:
        chosen = list(ballot)
        points = None
    by_id = projects if isinstance(projects, Mapping) else {p.id: p for p in projects}
    problems: list[BallotProblem] = []

    def add(code: str, message: str, **params: object) -> None:
        problems.append(BallotProblem(code, params, message))

    unknown = [pid for pid in chosen if pid not in by_id]
    for pid in unknown:
        add("unknown_project", f"Project {pid!r} is not part of this vote.", project=pid)
    seen: set[str] = set()
    for pid in chosen:
        if pid in seen:
            add("duplicate_project", f"Project {pid!r} is chosen more than once.", project=pid)
        seen.add(pid)
    count = len(seen)

    if vote_type == "cumulative":
        if points is None:
            add("points_missing", "A cumulative ballot must give points to each chosen project.")
            points = [1] * len(chosen)
        for pid, pts in zip(chosen, points):
            if pts <= 0:
                add(
                    "points_not_positive",
                    f"Project {pid!r} must get a positive number of points.",
                    project=pid,
                    points=pts,
                )
            if rules.min_points is not None and pts < rules.min_points:
                add(
                    "too_few_points_for_project",
                    f"Project {pid!r} gets {pts} points; the minimum per project is {rules.min_points}.",
                    project=pid,
                    points=pts,
                    minimum=rules.min_points,
                )
            if rules.max_points is not None and pts > rules.max_points:
                add(
                    "too_many_points_for_project",
                    f"Project {pid!r} gets {pts} points; the maximum per project is {rules.max_points}.",
                    project=pid,
                    points=pts,
                    maximum=rules.max_points,
                )
        total_points = sum(points)
        if rules.max_sum_points is not None and total_points > rules.max_sum_points:
            add(
                "too_many_points",
                f"The ballot gives {total_points} points; at most {rules.max_sum_points} may be given.",
                points=total_points,
                maximum=rules.max_sum_points,
            )
        if rules.min_sum_points is not None and total_points < rules.min_sum_points:
            add(
                "too_few_points",
                f"The ballot gives {total_points} points; at least {rules.min_sum_points} must be given.",
                points=total_points,
                minimum=rules.min_sum_points,
            )
    elif points is not None and any(p != 1 for p in points):
        add("points_not_allowed", f"A {vote_type} ballot does not give points.")

    if vote_type == "choose-1":
        if count != 1:
            add(
                "choose_exactly_one",
                f"Exactly one project must be chosen; {count} were.",
                count=count,
            )
    else:
        if rules.min_length is not None and count < rules.min_length:
            add(
                "too_few_projects",
                f"{count} project(s) chosen; at least {rules.min_length} must be chosen.",
                count=count,
                minimum=rules.min_length,
            )
        if rules.max_length is not None and count > rules.max_length:
            add(
                "too_many_projects",
                f"{count} projects chosen; at most {rules.max_length} may be chosen.",
                count=count,
                maximum=rules.max_length,
            )

    total_cost = sum((by_id[pid].cost for pid in seen if pid in by_id), 0)
    if rules.max_sum_cost is not None and total_cost > rules.max_sum_cost:
        add(
            "over_budget",
            f"The chosen projects cost {number_text(total_cost)} in total, more than the "
            f"{number_text(rules.max_sum_cost)} allowed.",
            total_cost=total_cost,
            maximum=rules.max_sum_cost,
        )
    if rules.min_sum_cost is not None and total_cost < rules.min_sum_cost:
        add(
            "under_min_cost",
            f"The chosen projects cost {number_text(total_cost)} in total, less than the "
            f"{number_text(rules.min_sum_cost)} required.",
            total_cost=total_cost,
            minimum=rules.min_sum_cost,
        )
    return problems
