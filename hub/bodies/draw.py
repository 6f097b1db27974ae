"""Draw by lot: a published, deterministic algorithm anyone can rerun (docs/draw-by-lot.md).

Pure functions only (standard library): the same inputs always give the same members.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

ALGORITHM = "sha256-rank-quota-greedy-v1"
# The seed's canonical form, fixed when the draw is announced: the whole numbers written in
# the seed as entered (ASCII digits), without leading zeros, sorted ascending, joined by one
# space. Every spelling of the same lottery result ("07-15-22", "7 15 22", "22, 15 et 07")
# gives the same seed, so nobody can try spellings until the wanted members come out.
SEED_FORMAT = "numbers-sorted-v1"


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


class DrawError(ValueError):
    """The inputs of a draw are not valid. ``message`` (English, with ``%(name)s``
    placeholders filled from ``params``) is translated where it is shown."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def canonical_seed(text: str, count: int) -> str:
    """The seed as the draw uses it (:data:`SEED_FORMAT`); exactly ``count`` numbers."""
    numbers = sorted(int(n) for n in re.findall(r"[0-9]+", text or ""))
    if len(numbers) != count:
        raise DrawError(
            N_("The seed must contain exactly %(count)d numbers; %(found)d found."),
            count=count,
            found=len(numbers),
        )
    return " ".join(str(n) for n in numbers)


def score(seed: str, key: str) -> str:
    """The rank of a register row: SHA-256 of the seed, a newline and the row's key (hex)."""
    return hashlib.sha256(f"{seed}\n{key}".encode()).hexdigest()


def rows_digest(rows: list[dict]) -> str:
    """SHA-256 of the published register (canonical JSON), announced before the draw."""
    canonical = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate(seats: int, rows: list[dict], quotas: dict) -> None:
    keys = [row["key"] for row in rows]
    if len(set(keys)) != len(keys):
        raise DrawError(N_("Each row of the register needs a distinct key."))
    if seats < 1:
        raise DrawError(N_("At least one seat is needed."))
    if seats > len(rows):
        raise DrawError(N_("There are more seats than rows in the register."))
    if any(int(n) < 0 for n in quotas.values()):
        raise DrawError(N_("Quotas cannot be negative."))
    if sum(int(n) for n in quotas.values()) > seats:
        raise DrawError(N_("The quotas add up to more seats than the draw has."))


def compute_draw(seed: str, seats: int, rows: list[dict], quotas: dict | None = None) -> list[str]:
    """Return the keys of the drawn rows, best-ranked first.

    1. Rank every row by ``score(seed, key)`` (ties, practically impossible, by key).
    2. For each quota category (in sorted order), take its best-ranked rows up to its quota.
    3. Fill the remaining seats with the best-ranked rows not yet taken, any category.
    """
    quotas = {str(k): int(v) for k, v in (quotas or {}).items()}
    validate(seats, rows, quotas)
    ranking = sorted(rows, key=lambda row: (score(seed, row["key"]), row["key"]))
    chosen: set[str] = set()
    for category in sorted(quotas):
        wanted = quotas[category]
        for row in ranking:
            if wanted == 0:
                break
            if str(row.get("category", "")) == category and row["key"] not in chosen:
                chosen.add(row["key"])
                wanted -= 1
    for row in ranking:
        if len(chosen) >= seats:
            break
        chosen.add(row["key"])
    return [row["key"] for row in ranking if row["key"] in chosen]


def parse_register(
    text: str, key_column: str, quota_column: str = "", name_column: str = ""
) -> tuple[list[dict], dict[str, str]]:
    """Read a register CSV (comma or semicolon separated, with a header line).

    Returns the public rows ``[{"key", "category"}]`` and the private ``{key: name}``.
    """
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    for column in filter(None, (key_column, quota_column, name_column)):
        if column not in header:
            raise DrawError(
                N_("The column “%(column)s” is missing from the register."), column=column
            )
    rows, names = [], {}
    for line in reader:
        key = (line.get(key_column) or "").strip()
        if not key:
            continue
        rows.append(
            {"key": key, "category": (line.get(quota_column) or "").strip() if quota_column else ""}
        )
        if name_column:
            names[key] = (line.get(name_column) or "").strip()
    if not rows:
        raise DrawError(N_("The register has no row."))
    return rows, names


def published_inputs(
    *,
    seed: str | None,
    seats: int,
    rows: list[dict],
    quotas: dict,
    quota_column: str,
    seed_source: str,
    register_sha256: str,
    seed_format: str = "",
    seed_count: int | None = None,
    seed_as_entered: str | None = None,
) -> dict:
    """Everything needed to recompute a draw, as published on its page. Draws announced
    with a seed format also publish it, the expected count and the seed as entered."""
    seed_rule = (
        {"seed_format": seed_format, "seed_count": seed_count, "seed_as_entered": seed_as_entered}
        if seed_format
        else {}
    )
    return {
        "algorithm": ALGORITHM,
        "seed": seed,
        **seed_rule,
        "seed_source": seed_source,
        "seats": seats,
        "quota_column": quota_column,
        "quotas": quotas,
        "register_sha256": register_sha256,
        "rows": rows,
    }


def recompute(inputs: dict) -> dict:
    """Rerun a draw from its published inputs; reports whether the register digest matches
    and, for a draw announced with a seed format, whether the seed is the canonical form of
    the seed as entered."""
    if inputs.get("algorithm") != ALGORITHM:
        raise DrawError(N_("Unknown algorithm."))
    rows = inputs["rows"]
    seed_check = {}
    if inputs.get("seed_format"):
        if inputs["seed_format"] != SEED_FORMAT:
            raise DrawError(N_("Unknown seed format."))
        try:
            canonical = canonical_seed(inputs.get("seed_as_entered"), int(inputs["seed_count"]))
        except DrawError:
            canonical = None
        seed_check = {"seed_matches": canonical == inputs["seed"]}
    return {
        "register_matches": rows_digest(rows) == inputs.get("register_sha256"),
        **seed_check,
        "selected": compute_draw(
            inputs["seed"], int(inputs["seats"]), rows, inputs.get("quotas") or {}
        ),
    }
