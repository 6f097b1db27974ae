"""The Method of Equal Shares (MES) and its add1 completion, in exact rational arithmetic.

Definitions are in docs/participatory_budget_rules.md. This module holds the fast, exact
implementation:

* Voters are bits of Python integers (bitsets); voters whose budgets have followed the same
  history form a *group* sharing one budget, so a round costs a few popcounts per group
  instead of work per voter.
* Arithmetic is rational: ``gmpy2.mpq`` when gmpy2 is installed, ``fractions.Fraction``
  otherwise (set ``HUB_PB_ARITHMETIC=fractions`` to force it). Both are exact, so the
  outcome never depends on the backend.
* add1 runs MES at b_k = B/n + k for k = 0, 1, 2... A run at b_k keeps every budget as an
  affine function of b and records, for each decision it takes (which project is
  unaffordable, which one has the lowest price, which supporters pay all they have left), the
  last k' for which that decision stays the same. All runs b_k..b_k' are then provably
  identical, step for step, so the loop jumps to k' + 1; and the next run restarts from the
  last round whose decisions are still valid instead of from scratch. The returned outcome is
  exactly the one of the step-by-step definition (the tests compare both).
"""

from __future__ import annotations

import os
from fractions import Fraction
from operator import itemgetter

from .model import Election, Number

INF = float("inf")


def arithmetic_backend(name: str | None = None):
    """Return ``(name, rational type)``: "gmpy2" (mpq) if available, else "fractions"."""
    name = name or os.environ.get("HUB_PB_ARITHMETIC", "auto")
    if name in ("auto", "gmpy2"):
        try:
            from gmpy2 import mpq
        except ImportError:
            if name == "gmpy2":
                raise
        else:
            return "gmpy2", mpq
    return "fractions", Fraction


def to_fraction(x) -> Number:
    """Convert a backend rational to an int or ``Fraction``."""
    if isinstance(x, (int, Fraction)):
        return x.numerator if isinstance(x, Fraction) and x.denominator == 1 else x
    num, den = int(x.numerator), int(x.denominator)
    return num if den == 1 else Fraction(num, den)


def _steps(dv, ds, strict: bool, inc) -> float | int:
    """Largest m >= 0 with dv + ds*m*inc >= 0 (> 0 if strict), given that m = 0 satisfies it."""
    if ds >= 0:
        return INF
    x = dv / (-ds * inc)
    num, den = int(x.numerator), int(x.denominator)
    if strict:
        return -((-num) // den) - 1
    return num // den


def _mask(indices: list[int], nbytes: int) -> int:
    buf = bytearray(nbytes)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


class MESData:
    """An instance prepared for MES: supporter bitsets and utilities per project.

    Utilities are the project's cost for approval and choose-1 ballots ("cost utilities"),
    the points given for cumulative ballots.
    """

    def __init__(self, election: Election, tie_key, arithmetic: str | None = None):
        self.backend, Q = arithmetic_backend(arithmetic)
        self.Q = Q
        self.election = election
        self.projects = projects = election.projects
        self.n = len(election.ballots)
        index = {p.id: j for j, p in enumerate(projects)}
        cost_utility = election.vote_type != "cumulative"
        members: dict[int, dict[Number, list[int]]] = {}
        for i, ballot in enumerate(election.ballots):
            if cost_utility:
                util = {index[pid]: None for pid in ballot.projects}
                for j in util:
                    util[j] = projects[j].cost
            else:
                util = {}
                for pid, pts in zip(ballot.projects, ballot.points or ()):
                    j = index[pid]
                    util[j] = util.get(j, 0) + pts
            for j, u in util.items():
                if u > 0:
                    members.setdefault(j, {}).setdefault(u, []).append(i)
        nbytes = (self.n + 7) // 8
        self.S: dict[int, list[tuple]] = {}  # j -> [(utility as Q, bitset)]
        self.count: dict[int, int] = {}
        self.total_u: dict[int, object] = {}
        active = 0
        for j, by_u in members.items():
            pairs = []
            for u, voters in sorted(by_u.items()):
                mask = _mask(voters, nbytes)
                active |= mask
                pairs.append((Q(u), mask, len(voters)))
            self.S[j] = [(u, mask) for u, mask, _k in pairs]
            self.count[j] = sum(k for _u, _m, k in pairs)
            self.total_u[j] = sum((u * k for u, _m, k in pairs), Q(0))
        self.active = active
        self.costs = [Q(p.cost) for p in projects]
        self.keys = [tie_key(p) for p in projects]
        self.free = [j for j in range(len(projects)) if j in members and projects[j].cost == 0]
        self.candidates = [j for j in range(len(projects)) if j in members and projects[j].cost > 0]

    def total_cost(self, winners: list[int]) -> Number:
        return sum((self.projects[j].cost for j in winners), 0)

    def is_exhaustive(self, winners: list[int]) -> bool:
        """No supported project outside ``winners`` still fits (pabutools' definition)."""
        spent = self.total_cost(winners)
        chosen = set(winners)
        budget = self.election.budget
        return all(j in chosen or spent + self.projects[j].cost > budget for j in self.candidates)


class MESRun:
    """One run of MES at per-voter budget ``start + k*inc`` (``inc`` None: no certificate)."""

    def __init__(self, data: MESData, start, inc=None, k: int = 0, record: bool = False):
        Q = data.Q
        self.d = data
        self.start = Q(start)
        self.inc = None if inc is None else Q(inc)
        self.k = k
        self.b = self.start + (k * self.inc if self.inc is not None else 0)
        self.record = record
        self.zero = Q(0)
        one = Q(1) if self.inc is not None else self.zero
        self.groups = [(data.active, self.b, one)] if data.active else []
        self.lbv = {j: data.costs[j] / data.total_u[j] for j in data.candidates}
        self.lbs = {j: self.zero for j in data.candidates}
        self.remaining = set(data.candidates)
        self.winners = list(data.free)
        self.valid_until = INF
        self.log: list[dict] = []
        self.snaps: list[tuple] = []
        if self.inc is not None:
            self._snapshot()

    # -- certificate bookkeeping -------------------------------------------------------

    def _snapshot(self) -> None:
        self.snaps.append((self.k, self.groups, dict(self.lbv), dict(self.lbs),
                           frozenset(self.remaining), len(self.winners), self.valid_until))

    def resume(self, k: int) -> None:
        """Move to per-voter budget start + k*inc, reusing every round still valid at k."""
        t = len(self.snaps) - 1
        while self.snaps[t][6] < k:
            t -= 1
        snap_k, groups, lbv, lbs, remaining, nw, valid = self.snaps[t]
        del self.snaps[t + 1:]
        delta = (k - snap_k) * self.inc
        self.k = k
        self.b = self.start + k * self.inc
        self.groups = [(m, v + s * delta, s) for m, v, s in groups]
        self.lbv = {j: v + lbs[j] * delta for j, v in lbv.items()}
        self.lbs = dict(lbs)
        self.remaining = set(remaining)
        del self.winners[nw:]
        self.valid_until = valid

    # -- the rule -------------------------------------------------------------------------

    def finish(self) -> list[int]:
        while self._round():
            pass
        return self.winners

    def _round(self) -> bool:
        d = self.d
        groups = self.groups
        lbv, lbs = self.lbv, self.lbs
        keys, costs = d.keys, d.costs
        inc = self.inc
        track = inc is not None
        zero = self.zero
        m_steps = INF
        best = None
        best_rho = None
        removed = []
        for j in sorted(self.remaining, key=lambda j: (lbv[j], keys[j])):
            if best is not None and lbv[j] > best_rho:
                break
            c = costs[j]
            entries = []
            tv = zero
            ts = zero
            denom = zero
            for u, smask in d.S[j]:
                for gi, (gm, v, s) in enumerate(groups):
                    k = (gm & smask).bit_count()
                    if k:
                        entries.append((v, s, u, k, gi))
                        tv += k * v
                        denom += k * u
                        if track:
                            ts += k * s
            if tv < c:
                removed.append(j)
                if track:
                    m = _steps(c - tv, -ts, True, inc)
                    if m < m_steps:
                        m_steps = m
                continue
            if len(d.S[j]) == 1:
                entries.sort(key=itemgetter(0))
            else:
                entries.sort(key=lambda e: e[0] / e[2])
            contrib_v = zero
            contrib_s = zero
            split = 0
            for v, s, u, k, _gi in entries:
                if (c - contrib_v) * u <= v * denom:
                    break
                contrib_v += k * v
                contrib_s += k * s
                denom -= k * u
                split += 1
            rho = (c - contrib_v) / denom
            rho_s = -contrib_s / denom
            lbv[j] = rho
            lbs[j] = rho_s
            if best is None or rho < best_rho or (rho == best_rho and keys[j] < keys[best[0]]):
                best = (j, entries, split, rho, rho_s)
                best_rho = rho
        for j in removed:
            self.remaining.discard(j)
        if best is None:
            self.valid_until = min(self.valid_until, self.k + m_steps)
            return False
        s_j, entries, split, rho, rho_s = best
        if track:
            key_s = keys[s_j]
            for j in self.remaining:
                if j != s_j:
                    m = _steps(lbv[j] - rho, lbs[j] - rho_s, keys[j] < key_s, inc)
                    if m < m_steps:
                        m_steps = m
            for pos, (v, s, u, _k, _gi) in enumerate(entries):
                if pos < split:
                    m = _steps(rho * u - v, rho_s * u - s, False, inc)
                else:
                    m = _steps(v - rho * u, s - rho_s * u, False, inc)
                if m < m_steps:
                    m_steps = m
        self.remaining.discard(s_j)
        self.winners.append(s_j)
        # Pay: supporters below the price pay all they have (their group empties), the
        # others pay the price; a group splits into its supporters of s_j and the rest.
        smasks = dict((u, m) for u, m in d.S[s_j])
        paid_by: dict[int, list] = {}
        for pos, (v, s, u, k, gi) in enumerate(entries):
            paid_by.setdefault(gi, []).append((u, pos < split))
        new_groups = []
        for gi, group in enumerate(groups):
            parts = paid_by.get(gi)
            if parts is None:
                new_groups.append(group)
                continue
            gm, v, s = group
            rest = gm
            for u, poor in parts:
                part = gm & smasks[u]
                rest ^= part
                if not poor:
                    nv = v - rho * u
                    ns = s - rho_s * u
                    if nv or ns:
                        new_groups.append((part, nv, ns))
            if rest:
                new_groups.append((rest, v, s))
        self.groups = new_groups
        if self.record:
            payments = [{"voters": k, "had": v, "paid": v if pos < split else rho * u}
                        for pos, (v, s, u, k, _gi) in enumerate(entries)]
            nobody = d.count[s_j] - sum(k for _v, _s, _u, k, _gi in entries)
            if nobody:
                payments.insert(0, {"voters": nobody, "had": zero, "paid": zero})
            self.log.append({"project": s_j, "rho": rho, "payments": payments})
        if track:
            self.valid_until = min(self.valid_until, self.k + m_steps)
            self._snapshot()
        return True

    def final_budgets(self) -> dict[int, list[tuple]]:
        """For each candidate not funded: [(budget left, number of supporters, utility)]."""
        out = {}
        chosen = set(self.winners)
        for j in self.d.candidates:
            if j in chosen:
                continue
            rows = []
            for u, smask in self.d.S[j]:
                seen = 0
                for gm, v, _s in self.groups:
                    k = (gm & smask).bit_count()
                    if k:
                        rows.append((v, k, u))
                        seen += k
                left = smask.bit_count() - seen
                if left:
                    rows.append((self.zero, left, u))
            out[j] = rows
        return out


def run_add1(data: MESData, increment=1, naive: bool = False):
    """The add1 completion. Returns (winners, k used, number of runs).

    For k = 0, 1, 2, ...: run MES with per-voter budget B/n + k*increment; stop at the first
    outcome that is exhaustive (return it) or over the budget (return the previous one).
    """
    budget = data.election.budget
    start = data.Q(budget) / data.n
    previous, previous_k = list(data.free), 0
    runs = 0
    if naive:
        k = 0
        while True:
            winners = MESRun(data, start + k * data.Q(increment)).finish()
            runs += 1
            if data.total_cost(winners) > budget:
                return previous, previous_k, runs
            if data.is_exhaustive(winners):
                return winners, k, runs
            previous, previous_k = list(winners), k
            k += 1
    run = MESRun(data, start, increment, 0)
    while True:
        winners = run.finish()
        runs += 1
        if data.total_cost(winners) > budget:
            return previous, previous_k, runs
        if data.is_exhaustive(winners):
            return list(winners), run.k, runs
        if run.valid_until == INF:  # pragma: no cover - MES with unbounded budgets is exhaustive
            raise RuntimeError("add1 completion did not terminate")
        last = int(run.valid_until)
        previous, previous_k = list(winners), last
        run.resume(last + 1)
