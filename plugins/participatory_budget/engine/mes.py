"""The Method of Equal Shares (MES) and its add1 completion, in exact rational arithmetic.

Definitions are in docs/participatory_budget_rules.md. This module holds the fast, exact
implementation:

* Voters with identical ballots form a class; classes whose budgets followed the same
  history form a *group* sharing one budget, so a round costs work per class and per group,
  never per voter.
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
* Rational arithmetic is slow (every operation allocates and reduces a fraction), so price
  computations walk a float *shadow* of each budget and only use rationals where a decision
  could depend on rounding: every comparison whose float margin is within ``FLOAT_TOL`` (far
  above the worst rounding error) is redone exactly, and prices, payments and certificates
  are always computed exactly once the decisions are known.
"""

from __future__ import annotations

import os
from collections import Counter
from fractions import Fraction
from operator import itemgetter, mul

from .model import Election, Number

INF = float("inf")

# Relative margin under which a float comparison is not trusted and is redone exactly. Each
# float shadow is within 2**-52 (relative) of its rational; a walk over m groups accumulates
# at most about (m + 4) * 2**-52 relative error on sums of positive terms, far below 1e-9 for
# any realistic m (< 10**6). ``None`` disables the filter (every comparison exact; tests).
FLOAT_TOL: float | None = 1e-9


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


class MESData:
    """An instance prepared for MES: classes of identical ballots, utilities per project.

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
        if cost_utility:
            raw = Counter(frozenset(b.projects) for b in election.ballots)
        else:
            raw = Counter((b.projects, b.points) for b in election.ballots)
        classes: dict[tuple, int] = {}
        for ballot, weight in raw.items():
            if cost_utility:
                util = {index[pid]: projects[index[pid]].cost for pid in ballot}
            else:
                util = {}
                for pid, pts in zip(ballot[0], ballot[1] or ()):
                    j = index[pid]
                    util[j] = util.get(j, 0) + pts
            key = tuple(sorted((j, u) for j, u in util.items() if u > 0))
            if key:
                classes[key] = classes.get(key, 0) + weight
        self.class_weight = list(classes.values())
        self.proj_classes: dict[int, list[int]] = {}
        self.proj_weights: dict[int, list[int]] = {}
        self.proj_utils: dict[int, list] = {}
        for ci, (key, w) in enumerate(classes.items()):
            for j, u in key:
                self.proj_classes.setdefault(j, []).append(ci)
                self.proj_weights.setdefault(j, []).append(w)
                self.proj_utils.setdefault(j, []).append(u if isinstance(u, int) else Q(u))
        self.count: dict[int, int] = {}
        self.total_u: dict[int, object] = {}
        self.uniform_u: dict[int, object] = {}
        for j, utils in self.proj_utils.items():
            weights = self.proj_weights[j]
            self.count[j] = sum(weights)
            self.total_u[j] = sum((u * w for u, w in zip(utils, weights)), Q(0))
            self.uniform_u[j] = utils[0] if all(u == utils[0] for u in utils) else None
        members = self.proj_classes
        self.costs = [Q(p.cost) for p in projects]
        self.costs_f = [float(c) for c in self.costs]
        # Fetches the groups of j's supporter classes from cls_group in one C-level call.
        self.proj_getter = {
            j: itemgetter(*cl) if len(cl) > 1 else (lambda seq, ci=cl[0]: (seq[ci],))
            for j, cl in self.proj_classes.items()
        }
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
    """One run of MES at per-voter budget ``start + k*inc`` (``inc`` None: no certificate).

    Voters with identical ballots form a *class*; classes whose budgets followed the same
    history share a *group* (``cls_group``; 0 is the group of those who spent everything).
    Group budgets are kept with their slope d(budget)/db so that the run can certify how
    many further increments of b leave every decision unchanged.
    """

    def __init__(self, data: MESData, start, inc=None, k: int = 0, record: bool = False):
        Q = data.Q
        self.d = data
        self.start = Q(start)
        self.inc = None if inc is None else Q(inc)
        self.k = k
        self.b = self.start + (k * self.inc if self.inc is not None else 0)
        self.record = record
        self.zero = Q(0)
        # Group 0 holds the voters who spent everything (budget and slope 0); group 1 is the
        # initial budget. A 0 sentinel lets C-level iteration (compress) skip spent voters.
        self.gv = [self.zero, self.b]  # group budget at gk[g]
        self.gvf = [0.0, float(self.b)]  # float shadow of gv, for the filtered comparisons
        self.gs = [self.zero, Q(1) if self.inc is not None else self.zero]
        self.gk = [k, k]
        self.cls_group = [1] * len(data.class_weight)
        self.lbv = {j: data.costs[j] / data.total_u[j] for j in data.candidates}
        self.lbvf = {j: float(v) for j, v in self.lbv.items()}  # float shadows, for ordering
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
        self.snaps.append(
            (
                self.k,
                len(self.gv),
                list(self.cls_group),
                dict(self.lbv),
                dict(self.lbs),
                frozenset(self.remaining),
                len(self.winners),
                self.valid_until,
            )
        )

    def resume(self, k: int) -> None:
        """Move to per-voter budget start + k*inc, reusing every round still valid at k."""
        t = len(self.snaps) - 1
        while self.snaps[t][7] < k:
            t -= 1
        snap_k, ng, cls_group, lbv, lbs, remaining, nw, valid = self.snaps[t]
        del self.snaps[t + 1 :]
        del self.gv[ng:], self.gvf[ng:], self.gs[ng:], self.gk[ng:]
        gv, gvf, gs, gk, inc = self.gv, self.gvf, self.gs, self.gk, self.inc
        for g in set(cls_group):
            if g and gk[g] != k:
                if gs[g]:
                    gv[g] += gs[g] * ((k - gk[g]) * inc)
                    gvf[g] = float(gv[g])
                gk[g] = k
        delta = (k - snap_k) * inc
        self.k = k
        self.b = self.start + k * inc
        self.cls_group = list(cls_group)
        self.lbv = {j: v + lbs[j] * delta for j, v in lbv.items()}
        self.lbvf = {j: float(v) for j, v in self.lbv.items()}
        self.lbs = dict(lbs)
        self.remaining = set(remaining)
        del self.winners[nw:]
        self.valid_until = valid

    # -- the rule -------------------------------------------------------------------------

    def finish(self) -> list[int]:
        while self._round():
            pass
        return self.winners

    def _entries(self, j: int) -> list[tuple]:
        """Supporters of j with budget left, one entry per group (and utility):
        [(float budget, budget, slope, utility, count, group key)].

        Entries sort (as tuples) by exact budget: the float shadow is monotone in the
        rational, and the rational itself breaks ties between equal shadows.
        """
        d = self.d
        cls_group = self.cls_group
        counts: dict = {}
        get = counts.get
        u = d.uniform_u[j]
        gv, gvf, gs = self.gv, self.gvf, self.gs
        if u is not None:
            for ci, w in zip(d.proj_classes[j], d.proj_weights[j]):
                g = cls_group[ci]
                if g:
                    counts[g] = get(g, 0) + w
            return [(gvf[g], gv[g], gs[g], u, k, g) for g, k in counts.items()]
        for ci, w, uc in zip(d.proj_classes[j], d.proj_weights[j], d.proj_utils[j]):
            g = cls_group[ci]
            if g:
                key = (g, uc)
                counts[key] = get(key, 0) + w
        return [(gvf[g], gv[g], gs[g], uc, k, (g, uc)) for (g, uc), k in counts.items()]

    def _unaffordable(self, c, entries, track: bool):
        """(None, steps): j is unaffordable, for ``steps`` more increments if tracked."""
        if not track:
            return None, INF
        contrib_v = sum((e[1] * e[4] for e in entries), self.zero)
        contrib_s = sum((e[2] * e[4] for e in entries), self.zero)
        return None, _steps(c - contrib_v, -contrib_s, True, self.inc)

    def _price(self, j: int, track: bool):
        """Price of j now: (rho, slope, sorted entries or None, number of groups paying all
        they have), or (None, steps) when its supporters cannot afford it any more."""
        if FLOAT_TOL is not None and self.d.uniform_u[j] is not None:
            return self._price_filtered(j, track)
        return self._price_exact(j, track)

    def _price_filtered(self, j: int, track: bool):
        """``_price`` for a uniform utility, deciding on float shadows where safe.

        About half of the evaluations find j unaffordable: the supporters' money is summed
        first with C-level iteration over the classes (spent voters are in group 0, whose
        shadow is 0.0). Otherwise the supporters, grouped, are walked from the poorest on
        float shadows (rich iff ``(c - contrib) / count <= budget``); a comparison too close
        to call is redone on rationals. Only the sums over the poor groups, which give the
        price, are computed exactly.
        """
        d = self.d
        tol = FLOAT_TOL
        groups = d.proj_getter[j](self.cls_group)
        money = sum(map(mul, map(self.gvf.__getitem__, groups), d.proj_weights[j]))
        cf = d.costs_f[j]
        if money < cf * (1 - tol):
            if not track:
                return None, INF
            return self._unaffordable(d.costs[j], self._entries(j), track)
        if money <= cf * (1 + tol):
            return self._price_exact(j, track)
        # The money certainly covers the cost, so the walk stops before the end.
        c = d.costs[j]
        zero = self.zero
        entries = self._entries(j)
        entries.sort()
        count = sum([e[4] for e in entries])
        contrib_f = 0.0
        split = 0
        for vf, v, _s, _u, k, _g in entries:
            lhs = cf - contrib_f
            rhs = vf * count
            margin = tol * (cf + rhs)
            if lhs <= rhs - margin:
                break
            if lhs < rhs + margin:
                exact = sum((e[1] * e[4] for e in entries[:split]), zero)
                if c - exact <= v * count:
                    break
            contrib_f += k * vf
            count -= k
            split += 1
        poor = entries[:split]
        contrib_v = sum((e[1] * e[4] for e in poor), zero)
        denom = d.uniform_u[j] * count
        rho = (c - contrib_v) / denom
        if not track:
            return (rho, zero, entries, split), None
        contrib_s = sum((e[2] * e[4] for e in poor), zero)
        return (rho, -contrib_s / denom, entries, split), None

    def _price_exact(self, j: int, track: bool):
        """``_price`` with every comparison on rationals (cumulative ballots, near ties)."""
        c = self.d.costs[j]
        entries = self._entries(j)
        entries.sort()
        u = self.d.uniform_u[j]
        zero = self.zero
        contrib_v = contrib_s = zero
        split = 0
        if u is not None:
            # Same utility u for every supporter: rich iff (c - contrib) / count <= budget.
            count = sum([e[4] for e in entries])
            for _vf, v, s, _u, k, _g in entries:
                if c - contrib_v <= v * count:
                    break
                contrib_v += k * v
                contrib_s += k * s
                count -= k
                split += 1
            else:
                return self._unaffordable(c, entries, track)
            denom = u * count
        else:
            entries.sort(key=lambda e: e[1] / e[3])
            denom = sum(e[3] * e[4] for e in entries)
            for _vf, v, s, u, k, _g in entries:
                if (c - contrib_v) * u <= v * denom:
                    break
                contrib_v += k * v
                contrib_s += k * s
                denom -= k * u
                split += 1
            else:
                return self._unaffordable(c, entries, track)
        if not track:
            return ((c - contrib_v) / denom, zero, entries, split), None
        return ((c - contrib_v) / denom, -contrib_s / denom, entries, split), None

    def _round(self) -> bool:
        d = self.d
        lbv, lbs = self.lbv, self.lbs
        keys = d.keys
        inc = self.inc
        # Once a decision of this run is certified for this k only, later rounds need no
        # certificate: no later resume can reuse them.
        track = inc is not None and self.valid_until > self.k
        m_steps = INF
        best = None
        best_rho = None
        best_rho_f = INF
        removed = []
        evaluated = set()
        lbvf = self.lbvf
        # Candidates by increasing lower bound, on float shadows: a shadow clearly above the
        # best price proves that this one and all later ones lose; otherwise the bound is
        # compared exactly (shadows may tie or be misordered within rounding).
        for j in sorted(self.remaining, key=lbvf.__getitem__):
            if best is not None:
                if lbvf[j] > best_rho_f:
                    break
                if lbv[j] > best_rho:
                    continue
            evaluated.add(j)
            price, m = self._price(j, track)
            if price is None:
                # No supporter can pay the price: their money in total is below the cost.
                removed.append(j)
                m_steps = min(m_steps, m)
                continue
            rho, rho_s, entries, split = price
            lbv[j] = rho
            lbvf[j] = float(rho)
            lbs[j] = rho_s
            if best is None or rho < best_rho or (rho == best_rho and keys[j] < keys[best[0]]):
                best = (j, entries, split, rho, rho_s)
                best_rho = rho
                best_rho_f = lbvf[j] * (1 + 1e-12)  # above best_rho despite rounding
        for j in removed:
            self.remaining.discard(j)
        if best is None:
            self.valid_until = min(self.valid_until, self.k + m_steps)
            return False
        s_j, entries, split, rho, rho_s = best
        if entries is None:
            # The filtered price gave only the number of poor groups: they are the first
            # ones in exact budget order.
            entries = self._entries(s_j)
            entries.sort()
        if track:
            key_s = keys[s_j]
            for j in list(self.remaining):
                if j != s_j and lbs[j] < rho_s:
                    m = _steps(lbv[j] - rho, lbs[j] - rho_s, keys[j] < key_s, inc)
                    if m < m_steps and j not in evaluated:
                        # A stale lower bound would cut the certificate short: refresh it.
                        price, m = self._price(j, True)
                        if price is None:
                            self.remaining.discard(j)
                        else:
                            lbv[j], lbs[j] = price[0], price[1]
                            lbvf[j] = float(price[0])
                            m = _steps(lbv[j] - rho, lbs[j] - rho_s, keys[j] < key_s, inc)
                    m_steps = min(m_steps, m)
            # Supporters paying everything must stay at or below their share, the others at or
            # above it; only a condition whose margin shrinks as b grows can fail.
            share_u = share = share_s = None
            for pos, (_vf, v, s, u, _k, _g) in enumerate(entries):
                if u != share_u:
                    share_u, share, share_s = u, rho * u, rho_s * u
                if pos < split:
                    if share_s < s:
                        m = _steps(share - v, share_s - s, False, inc)
                        m_steps = min(m_steps, m)
                elif s < share_s:
                    m = _steps(v - share, s - share_s, False, inc)
                    m_steps = min(m_steps, m)
        self.remaining.discard(s_j)
        self.winners.append(s_j)
        # Pay: supporters whose budget is below the price pay all of it (group 0), the
        # others pay the price and move to a new group; non-supporters keep their group.
        gv, gvf, gs, gk = self.gv, self.gvf, self.gs, self.gk
        zero = self.zero
        moved = {}
        share_u = share = share_s = None
        for pos, (_vf, v, s, u, _k, key) in enumerate(entries):
            new = 0
            if pos >= split:
                if u != share_u:
                    share_u, share = u, rho * u
                    share_s = rho_s * u if track else zero
                nv = v - share
                # Untracked rounds are never reused at another k: slopes no longer matter.
                ns = s - share_s if track else zero
                if nv or ns:
                    new = len(gv)
                    gv.append(nv)
                    gvf.append(float(nv))
                    gs.append(ns)
                    gk.append(self.k)
            moved[key] = new
        cls_group = self.cls_group
        if d.uniform_u[s_j] is not None:
            for ci in d.proj_classes[s_j]:
                g = cls_group[ci]
                if g:
                    cls_group[ci] = moved[g]
        else:
            for ci, uc in zip(d.proj_classes[s_j], d.proj_utils[s_j]):
                g = cls_group[ci]
                if g:
                    cls_group[ci] = moved[(g, uc)]
        if self.record:
            payments = [
                {"voters": k, "had": v, "paid": v if pos < split else rho * u}
                for pos, (_vf, v, _s, u, k, _g) in enumerate(entries)
            ]
            nobody = d.count[s_j] - sum(e[4] for e in entries)
            if nobody:
                payments.insert(0, {"voters": nobody, "had": self.zero, "paid": self.zero})
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
            rows = [(v, k, u) for _vf, v, _s, u, k, _g in self._entries(j)]
            seen = sum(r[1] for r in rows)
            if self.d.count[j] - seen:
                rows.append((self.zero, self.d.count[j] - seen, None))
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
