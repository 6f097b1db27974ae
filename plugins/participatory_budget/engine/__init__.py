"""The participatory-budget outcome engine: pure Python, no Flask, exact arithmetic.

Typical use::

    from plugins.participatory_budget.engine import read_pabulib, compute, audit_record
    election = read_pabulib("Poland_Swiecie_2023.pb")
    outcome = compute(election)            # the file's own rule
    outcome.winners, outcome.explanations["c1"].text()
"""

ENGINE_NAME = "participation-hub-pb-engine"
ENGINE_VERSION = "1.0.0"

from .audit import audit_record, canonical_sha256, verify_audit
from .explain import Explanation
from .model import (
    Ballot,
    BallotProblem,
    BallotRules,
    Election,
    Project,
    exact,
    validate_ballot,
)
from .pabulib import (
    PabulibError,
    parse_pabulib,
    published_winners,
    read_pabulib,
    save_pabulib,
    write_pabulib,
)
from .rules import (
    RULES,
    Outcome,
    RuleError,
    compute,
    equal_shares,
    greedy,
    normalize_rule,
)

__all__ = [
    "ENGINE_NAME",
    "ENGINE_VERSION",
    "RULES",
    "Ballot",
    "BallotProblem",
    "BallotRules",
    "Election",
    "Explanation",
    "Outcome",
    "PabulibError",
    "Project",
    "RuleError",
    "audit_record",
    "canonical_sha256",
    "compute",
    "equal_shares",
    "exact",
    "greedy",
    "normalize_rule",
    "parse_pabulib",
    "published_winners",
    "read_pabulib",
    "save_pabulib",
    "validate_ballot",
    "verify_audit",
    "write_pabulib",
]
