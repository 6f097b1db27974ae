"""Audit record: enough for anyone holding the open-data file to recompute the outcome."""

from __future__ import annotations

import hashlib

from . import ENGINE_NAME, ENGINE_VERSION
from .explain import _jsonable
from .model import Election
from .pabulib import write_pabulib
from .rules import Outcome, compute


def canonical_bytes(election: Election) -> bytes:
    """The canonical Pabulib serialization of ``election`` (UTF-8, LF, no BOM)."""
    return write_pabulib(election).encode("utf-8")


def canonical_sha256(election: Election) -> str:
    return hashlib.sha256(canonical_bytes(election)).hexdigest()


def audit_record(election: Election, outcome: Outcome, source: bytes | None = None) -> dict:
    """The audit record of ``outcome``, JSON-safe.

    ``input_sha256`` hashes the canonical form of the input (equal to ``sha256sum`` of a file
    the hub published, since the hub publishes that form); ``file_sha256`` hashes the exact
    bytes read, when given.
    """
    record = {
        "engine": ENGINE_NAME,
        "engine_version": ENGINE_VERSION,
        "input_sha256": canonical_sha256(election),
        "rule": outcome.rule,
        "parameters": _jsonable(outcome.parameters),
        "budget": _jsonable(outcome.budget),
        "winners": list(outcome.winners),
        "total_cost": _jsonable(outcome.total_cost),
    }
    if source is not None:
        record["file_sha256"] = hashlib.sha256(source).hexdigest()
    return record


def verify_audit(election: Election, record: dict) -> list[str]:
    """Recompute ``record`` from ``election``; return the list of mismatches (empty if none)."""
    problems = []
    digest = canonical_sha256(election)
    if record.get("input_sha256") != digest:
        problems.append(f"input_sha256 differs: file gives {digest}")
    params = record.get("parameters", {})
    kwargs = {"tie_breaking": params.get("tie_breaking", "lexicographic")}
    if "min_score" in params:
        from .model import exact

        kwargs["min_score"] = exact(str(params["min_score"]))
    outcome = compute(election, record.get("rule"), **kwargs)
    if outcome.winners != record.get("winners"):
        problems.append(f"winners differ: recomputed {outcome.winners}")
    if _jsonable(outcome.total_cost) != record.get("total_cost"):
        problems.append(f"total_cost differs: recomputed {_jsonable(outcome.total_cost)}")
    if record.get("engine_version") != ENGINE_VERSION:
        problems.append(
            f"recorded with engine {record.get('engine_version')}, checked with {ENGINE_VERSION}"
        )
    return problems
