"""Benchmark of the participatory-budget engine against pabutools 1.2.3, in the same run.

* equalshares/add1 (cost utilities, +1 per voter) on Świecie 2023 and Wieliczka 2023:
  time of the engine vs pabutools, speed ratio, and whether the winners are identical;
* parse + greedy-threshold on Łódź 2022 (90,494 ballots): must take under 2 seconds;
* peak memory (tracemalloc during the engine runs, and the process's max RSS).

    python bench/pb_engine.py            # full run, about a minute (pabutools is slow)
    python bench/pb_engine.py --quick    # engine only, skips pabutools

The Pabulib folder is ../shared/pabulib next to the repository, or HUB_PABULIB_DIR.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from plugins.participatory_budget.engine import compute, equal_shares, read_pabulib
from plugins.participatory_budget.engine.mes import arithmetic_backend

PABULIB_DIR = Path(
    os.environ.get("HUB_PABULIB_DIR") or REPO / ".." / "shared" / "pabulib"
).resolve()
MES_FILES = ["Poland_Swiecie_2023.pb", "Poland_Wieliczka_2023_Green_Budget.pb"]
LODZ = "Poland_Lodz_2022.pb"
TARGET_RATIO = 50
LODZ_LIMIT = 2.0


def best_of(fn, repeat):
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def pabutools_add1(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pabutools.election import Cost_Sat, parse_pabulib
        from pabutools.rules import method_of_equal_shares

        instance, profile = parse_pabulib(str(path))
        start = time.perf_counter()
        outcome = method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
        )
        return time.perf_counter() - start, {p.name for p in outcome}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip pabutools")
    parser.add_argument("--repeat", type=int, default=3, help="engine repetitions (best kept)")
    args = parser.parse_args(argv)
    if not PABULIB_DIR.is_dir():
        print(f"Pabulib folder not found: {PABULIB_DIR} (set HUB_PABULIB_DIR)")
        return 2
    print(
        f"engine arithmetic: {arithmetic_backend()[0]}; python {sys.version.split()[0]}; "
        f"cpus {os.cpu_count()}"
    )
    ok = True
    for name in MES_FILES:
        election = read_pabulib(PABULIB_DIR / name)
        # The engine's time includes preparing the instance, the add1 search and the
        # recorded run that produces the explanations.
        t_engine, outcome = best_of(
            lambda e=election: equal_shares(e, completion="add1"), args.repeat
        )
        line = (
            f"{name}: equalshares/add1 engine {t_engine:.3f} s "
            f"({len(outcome.winners)} winners, {outcome.parameters['increments']} increments, "
            f"{outcome.runs} runs)"
        )
        if not args.quick:
            t_ref, ref_winners = pabutools_add1(PABULIB_DIR / name)
            ratio = t_ref / t_engine
            same = ref_winners == set(outcome.winners)
            ok &= same and ratio >= TARGET_RATIO
            line += (
                f" | pabutools {t_ref:.2f} s | speed ratio x{ratio:.0f} "
                f"(target x{TARGET_RATIO}) | identical winners: {same}"
            )
        print(line, flush=True)

    def lodz():
        election = read_pabulib(PABULIB_DIR / LODZ)
        return election, compute(election)  # greedy-threshold, min score from META

    t_lodz, (election, outcome) = best_of(lodz, args.repeat)
    ok &= t_lodz < LODZ_LIMIT
    print(
        f"{LODZ}: parse + {outcome.rule} ({len(election.ballots)} ballots) {t_lodz:.3f} s "
        f"(limit {LODZ_LIMIT:.0f} s)"
    )
    # Peak memory, measured in separate runs because tracing slows Python down.
    for label, fn in [("Łódź parse + greedy-threshold", lodz)] + [
        (
            f"{name} add1",
            lambda name=name: equal_shares(read_pabulib(PABULIB_DIR / name), completion="add1"),
        )
        for name in MES_FILES
    ]:
        tracemalloc.start()
        fn()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak memory {label}: {peak / 2**20:.1f} MiB (tracemalloc)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of the whole process (pabutools included): {rss:.0f} MiB")
    print("RESULT:", "OK" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
