"""Read and write the Pabulib ``.pb`` open-data format (https://pabulib.org/format).

A file has three sections, META, PROJECTS and VOTES, each introduced by its name on a line of
its own followed by a header line naming the ``;``-separated columns. Real files vary, so the
reader accepts a UTF-8 byte-order mark, CRLF, LF or mixed line ends, CSV quoting (doubled quotes inside quoted fields,
quoted fields spanning lines), blank lines, section names in any case and surrounding spaces.

The writer produces the *canonical form* used for the audit hash: UTF-8 without BOM, LF line
ends, minimal CSV quoting, sections and columns in the order they were read. Values that were
read from a file and not changed are written back exactly as they were written.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from .model import Ballot, BallotRules, Election, Project, exact, number_text

SECTIONS = ("meta", "projects", "votes")
_RULE_KEYS = {
    "min_length": int,
    "max_length": int,
    "min_points": exact,
    "max_points": exact,
    "min_sum_points": exact,
    "max_sum_points": exact,
    "min_sum_cost": exact,
    "max_sum_cost": exact,
}
_PROJECT_ATTRS = ("project_id", "cost", "name", "category", "district")


class PabulibError(ValueError):
    """The file is not a usable Pabulib file. ``line`` is the line at fault (1 for the file as
    a whole); ``str()`` gives ``line N: message``, what ``hub pb`` prints after the file name."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line, self.message = line, message


def _number(text: str, line: int, what: str):
    """An exact number from the file, or a :class:`PabulibError` naming the line."""
    try:
        return exact(text)
    except ValueError as exc:  # ZeroDivisionError cannot happen: exact() checks it
        raise PabulibError(line, f"invalid {what}: {exc}") from None


def _whole(text: str, line: int, what: str) -> int:
    value = _number(text, line, what)
    if not isinstance(value, int):
        raise PabulibError(line, f"invalid {what}: {text.strip()[:40]!r} is not a whole number")
    return value


def _is_missing(text: str | None) -> bool:
    return text is None or text == "" or text.lower() == "none"


def _rows(text: str):
    """Yield (line number, fields) for every non-blank line, honouring CSV quoting."""
    # Only CR, LF and CRLF end lines (str.splitlines would also split on U+2028, form feeds…
    # inside a name, and shift every line number after it).
    lines = re.split(r"\r\n|\r|\n", text)
    i = 0
    total = len(lines)
    while i < total:
        line = lines[i]
        number = i + 1
        i += 1
        if '"' not in line:
            if not line.strip():
                continue
            yield number, [field.strip() for field in line.split(";")]
            continue
        buffer = line
        while buffer.count('"') % 2 and i < total:
            buffer += "\n" + lines[i]
            i += 1
        try:
            row = next(csv.reader(io.StringIO(buffer, newline=""), delimiter=";"), [])
        except csv.Error as exc:  # a quoted field beyond the csv module's size limit...
            raise PabulibError(number, f"unreadable line: {exc}") from None
        if any(field.strip() for field in row):
            yield number, [field.strip() for field in row]


def read_pabulib(source: str | os.PathLike | bytes) -> Election:
    """Parse a Pabulib file: a path, the file's bytes, or its text (``str`` containing META)."""
    if isinstance(source, str) and "\n" in source:
        return parse_pabulib(source)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PabulibError(line, "the file is not UTF-8 text") from None
    return parse_pabulib(text)


def parse_pabulib(text: str) -> Election:
    """Parse the text of a Pabulib file into an :class:`Election`."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise PabulibError(text[: text.index("\x00")].count("\n") + 1, "NUL character in the file")
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    project_columns: list[str] = []
    vote_columns: list[str] = []
    projects: list[Project] = []
    raw_votes: list[tuple[int, list[str]]] = []
    section = None
    header: list[str] | None = None
    for number, row in _rows(text):
        name = row[0].lower()
        if name in SECTIONS and all(not f for f in row[1:]):
            if name in meta_lines.get("sections", {}):
                raise PabulibError(number, f"second {name.upper()} section")
            meta_lines.setdefault("sections", {})[name] = number
            section, header = name, None
            continue
        if section is None:
            raise PabulibError(number, "data before the META/PROJECTS/VOTES section")
        if header is None:
            header = row
            if section == "projects":
                project_columns = list(row)
                _require(row, ("project_id", "cost"), number, "PROJECTS")
            elif section == "votes":
                vote_columns = list(row)
                _require(row, ("voter_id", "vote"), number, "VOTES")
            continue
        if section == "meta":
            if len(row) < 2:
                raise PabulibError(number, "META line without a value")
            meta[row[0]] = ";".join(row[1:])
            meta_lines[row[0]] = number
        elif section == "projects":
            project = _project(header, row, number)
            if project.id in seen_ids:
                raise PabulibError(
                    number, f"project {project.id!r} already given on line {seen_ids[project.id]}"
                )
            seen_ids[project.id] = number
            projects.append(project)
        else:
            raw_votes.append((number, row))
    first = meta_lines.get("sections", {}).get("meta", 1)
    if "budget" not in meta:
        raise PabulibError(first, "META has no budget")
    budget = _number(meta["budget"], meta_lines["budget"], "budget")
    if budget < 0:
        raise PabulibError(meta_lines["budget"], "the budget is negative")
    vote_type = meta.get("vote_type", "approval").strip().lower()
    if vote_type not in ("approval", "cumulative", "choose-1"):
        raise PabulibError(
            meta_lines.get("vote_type", first), f"unsupported vote_type {vote_type[:40]!r}"
        )
    rules = {}
    for key, convert in _RULE_KEYS.items():
        if not _is_missing(meta.get(key)):
            read = _whole if convert is int else _number
            rules[key] = read(meta[key], meta_lines[key], key)
    for key in ("min_project_score_threshold",):
        if not _is_missing(meta.get(key)):
            _number(meta[key], meta_lines[key], key)
    election = Election(
        projects=projects,
        budget=budget,
        vote_type=vote_type,
        ballot_rules=BallotRules(**rules),
        meta=meta,
        project_columns=project_columns,
        meta_lines=meta_lines,
    )
    if vote_columns:
        election.vote_fields = [c for c in vote_columns if c not in ("voter_id", "vote", "points")]
        election.ballots = _ballots(election, vote_columns, raw_votes)
    return election


def _require(header: list[str], names: tuple[str, ...], number: int, section: str) -> None:
    for column in names:
        if column not in header:
            raise PabulibError(number, f"the {section} header has no {column!r} column")


def _project(header: list[str], row: list[str], number: int) -> Project:
    if len(row) < len(header):
        row = row + [""] * (len(header) - len(row))
    elif len(row) > len(header):
        raise PabulibError(number, f"{len(row)} fields for {len(header)} columns")
    fields = dict(zip(header, row))
    if not fields["project_id"]:
        raise PabulibError(number, "project without a project_id")
    cost = _number(fields["cost"], number, "cost")
    if cost < 0:
        raise PabulibError(number, f"project {fields['project_id']!r} has a negative cost")
    for column in ("votes", "score"):
        if not _is_missing(fields.get(column)):
            _number(fields[column], number, column)
    return Project(
        id=fields["project_id"],
        cost=cost,
        name=fields.get("name", ""),
        category=None if _is_missing(fields.get("category")) else fields["category"],
        district=None if _is_missing(fields.get("district")) else fields["district"],
        fields=fields,
    )


def _ballots(
    election: Election, columns: list[str], raw: list[tuple[int, list[str]]]
) -> list[Ballot]:
    ids = {p.id: p.id for p in election.projects}  # interned project ids
    i_voter = columns.index("voter_id")
    i_vote = columns.index("vote")
    i_points = columns.index("points") if "points" in columns else None
    extra_idx = [columns.index(c) for c in election.vote_fields]
    width = len(columns)
    cumulative = election.vote_type == "cumulative"
    ballots = []
    append = ballots.append
    for number, row in raw:
        if len(row) != width:
            if len(row) < width:
                row = row + [""] * (width - len(row))
            else:
                raise PabulibError(number, f"{len(row)} fields for {width} columns")
        vote = row[i_vote]
        try:
            chosen = tuple([ids[p.strip()] for p in vote.split(",") if p.strip()]) if vote else ()
        except KeyError as exc:
            raise PabulibError(number, f"unknown project {exc.args[0][:40]!r} in a vote") from None
        points = None
        if cumulative:
            text = row[i_points] if i_points is not None else ""
            points = (
                tuple(_number(x, number, "points") for x in text.split(",") if x.strip())
                if text
                else ()
            )
            if len(points) != len(chosen):
                raise PabulibError(number, f"{len(points)} points for {len(chosen)} projects")
        extra = tuple([row[i] for i in extra_idx]) if extra_idx else ()
        append(Ballot(row[i_voter], chosen, points, extra))
    return ballots


def _cell(raw: str | None, value, text: str) -> str:
    """Keep the file's own spelling of a value when it still means the same value."""
    if raw is not None and not _is_missing(raw):
        try:
            if value is not None and exact(raw) == value:
                return raw
        except ValueError:
            if raw == text:
                return raw
    return text


def write_pabulib(election: Election) -> str:
    """Serialize ``election`` to the canonical Pabulib text (LF line ends, no BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    meta = dict(election.meta)
    meta["budget"] = _cell(meta.get("budget"), election.budget, number_text(election.budget))
    if meta.get("vote_type", "").strip().lower() != election.vote_type:
        meta["vote_type"] = election.vote_type
    meta.setdefault("num_projects", str(len(election.projects)))
    meta.setdefault("num_votes", str(len(election.ballots)))
    rules = election.ballot_rules
    for key in _RULE_KEYS:
        value = getattr(rules, key)
        if value is None:
            if key in meta and not _is_missing(meta[key]):
                del meta[key]
        else:
            meta[key] = _cell(meta.get(key), value, number_text(value))
    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in meta.items():
        writer.writerow([key, value])

    columns = list(election.project_columns) or ["project_id", "cost", "name"]
    for attr in ("category", "district"):
        if attr not in columns and any(getattr(p, attr) for p in election.projects):
            columns.append(attr)
    for project in election.projects:
        for key in project.fields:
            if key not in columns:
                columns.append(key)
    out.write("PROJECTS\n")
    writer.writerow(columns)
    for project in election.projects:
        writer.writerow([_project_cell(project, column) for column in columns])

    out.write("VOTES\n")
    cumulative = election.vote_type == "cumulative"
    vote_columns = (
        ["voter_id", "vote"] + (["points"] if cumulative else []) + list(election.vote_fields)
    )
    writer.writerow(vote_columns)
    rows = []
    for ballot in election.ballots:
        row = [ballot.voter_id, ",".join(ballot.projects)]
        if cumulative:
            row.append(",".join(number_text(x) for x in (ballot.points or ())))
        row.extend(ballot.extra)
        rows.append(row)
    writer.writerows(rows)
    return out.getvalue()


def _project_cell(project: Project, column: str) -> str:
    raw = project.fields.get(column)
    if column == "project_id":
        return project.id
    if column == "cost":
        return _cell(raw, project.cost, number_text(project.cost))
    if column == "name":
        return project.name
    if column in ("category", "district"):
        value = getattr(project, column)
        if value is None:
            return raw if raw is not None and _is_missing(raw) else ""
        return value
    return "" if raw is None else raw


def save_pabulib(election: Election, path: str | os.PathLike) -> None:
    """Write the canonical form of ``election`` to ``path``."""
    Path(path).write_bytes(write_pabulib(election).encode("utf-8"))


def published_winners(election: Election) -> set[str] | None:
    """Project ids the file marks ``selected`` (the city's published outcome), or None."""
    if "selected" not in election.project_columns:
        return None
    return {p.id for p in election.projects if p.fields.get("selected", "").strip() in ("1", "1.0")}
