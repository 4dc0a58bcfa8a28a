"""p-median / p-center benchmark: Station Planner's ``solve`` against spopt + CBC, in the same run.

Instances (seeded, deterministic): a random road-like graph of ``n`` nodes,
``rng = numpy.random.default_rng([20250117, n])``; nodes uniform in a square of
side ``100 * sqrt(n)`` metres, streets the Delaunay edges, each ``1.0-1.3`` times
its straight length (detours); all-pairs shortest paths by
``scipy.sparse.csgraph.shortest_path``, in minutes at 80 m per minute, rounded to
0.001. Every node is a home and a candidate site. Demand: unit, or weighted
(``rng.integers(1, 101, n)``, drawn after the graph). ``p`` as in the OR-Library
pmed series: 5, 10 and ``n / 10`` (``--quick``: 5 and ``n / 10``).

Sizes: 100, 300, 500, 700, 900 nodes (``--quick``: 100, 300, 500).

Each instance is solved by
1. **Station Planner**: ``planner.solve(minutes, model=..., p=p, weights=w)``
   (no radius: every finite entry counts), and
2. **spopt + CBC**: ``spopt.locate.PMedian.from_cost_matrix(minutes, w, p_facilities=p)``
   / ``PCenter.from_cost_matrix(minutes, p_facilities=p)``, solved with
   ``pulp.PULP_CBC_CMD(msg=False, timeLimit=...)`` (build + solve timed; p-center
   has no weights, so it runs once per ``(n, p)``).

Objectives must agree (relative 1e-6) and both must be proven optimal; the
table marks any that are not, and tells an instance spopt + CBC left unfinished
from a disagreement (exit status 1 only for a disagreement or a plan the planner
did not prove). The total ratio is spopt's total time over the planner's over the
instances both solved.

Run: python benchmarks/bench_median.py [--quick] [--sizes 100 300] [--models pmedian pcenter]
     [--spopt-time-limit S] [--planner-only] [--json report.json]

PuLP calls CBC's status "Optimal" even when CBC stopped at its time limit with a
plan; only ``sol_status == LpSolutionOptimal`` counts as proven here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import planner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from instances import bench_road as road_minutes

warnings.filterwarnings("ignore")

REL_TOL = 1e-6


def run_planner(model: str, d: np.ndarray, w: np.ndarray | None, p: int) -> tuple[float, str, float]:
    t = time.perf_counter()
    sol = planner.solve(d, model=model, p=p, weights=w)
    return sol.objective, sol.status, time.perf_counter() - t


def run_spopt(model: str, d: np.ndarray, w: np.ndarray | None, p: int, limit: float) -> tuple[float, str, float]:
    import pulp
    from spopt.locate import PCenter, PMedian

    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
    t = time.perf_counter()
    if model == "pmedian":
        ref = PMedian.from_cost_matrix(d, np.ones(len(d)) if w is None else w, p_facilities=p, name="pm")
    else:
        ref = PCenter.from_cost_matrix(d, p_facilities=p, name="pc")
    try:
        ref = ref.solve(solver, results=False)
    except RuntimeError:  # spopt raises when CBC proves nothing in time
        return float("nan"), "not solved (time limit)", time.perf_counter() - t
    seconds = time.perf_counter() - t
    # PuLP reports "Optimal" for CBC stopped at its time limit with a plan: only sol_status 1 is proven
    proven = pulp.LpStatus[ref.problem.status] == "Optimal" and ref.problem.sol_status == pulp.LpSolutionOptimal
    return float(ref.problem.objective.value()), "optimal" if proven else "time limit", seconds


def cases(sizes: list[int], models: list[str], quick: bool) -> list[tuple[str, int, int, str]]:
    out = []
    for n in sizes:
        ps = sorted({5, n // 10} if quick else {5, 10, n // 10})
        for model in models:
            for p in ps:
                for demand in ("unit", "weighted") if model == "pmedian" else ("unit",):
                    out.append((model, n, p, demand))
    return out


def summary(rows: list[dict], largest: int, planner_only: bool) -> str:
    """The closing lines: totals over the instances both proved, the slowest largest one, what disagreed."""
    worst = max((r["planner_s"] for r in rows if r["n"] == largest), default=0.0)
    proved = sum(r["planner_status"] == "optimal" for r in rows)
    tail = f"slowest planner solve at n={largest}: {worst:.2f} s (target < 10 s)"
    if planner_only:
        total = sum(r["planner_s"] for r in rows)
        return f"\nplanner only: {len(rows)} instances, {proved} proven optimal, {total:.1f} s in all; {tail}"
    both = [r for r in rows if r["agree"]]
    unfinished = [r for r in rows if r["planner_status"] == "optimal" and r["spopt_status"] != "optimal"]
    wrong = len(rows) - len(both) - len(unfinished)
    t_ours = sum(r["planner_s"] for r in both)
    t_ref = sum(r["spopt_s"] for r in both)
    return (
        f"\ntotal over {len(both)} instances both proved, objectives equal: planner {t_ours:.1f} s, spopt+CBC "
        f"{t_ref:.1f} s, ratio {t_ref / max(t_ours, 1e-9):.1f}x (target >= 10x); {tail}; spopt + CBC "
        f"unfinished: {len(unfinished)}; disagreements or planner unproven: {wrong}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="*")
    ap.add_argument("--models", nargs="*", default=["pmedian", "pcenter"])
    ap.add_argument("--spopt-time-limit", type=float, default=600.0)
    ap.add_argument("--planner-only", action="store_true", help="skip spopt (planner times only)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([100, 300, 500] if args.quick else [100, 300, 500, 700, 900])
    rows = []
    graphs = {n: road_minutes(n) for n in sizes}
    print("| model | n | p | demand | planner s | spopt+CBC s | ratio | objective | agree |", flush=True)
    print("|---|---:|---:|---|---:|---:|---:|---:|---|", flush=True)
    for model, n, p, demand in cases(sizes, args.models, args.quick):
        d, w = graphs[n]
        weights = w if demand == "weighted" else None
        ours, status, t_ours = run_planner(model, d, weights, p)
        if args.planner_only:
            ref, ref_status, t_ref = ours, "skipped", float("nan")
        else:
            ref, ref_status, t_ref = run_spopt(model, d, weights, p, args.spopt_time_limit)
        agree = status == "optimal" and ref_status == "optimal" and abs(ours - ref) <= REL_TOL * max(1.0, abs(ref))
        row = dict(
            model=model,
            n=n,
            p=p,
            demand=demand,
            planner_s=t_ours,
            spopt_s=t_ref,
            planner_status=status,
            spopt_status=ref_status,
            objective=ours,
            spopt_objective=ref,
            agree=agree,
        )
        rows.append(row)
        mark = "yes" if agree else f"NO ({status}/{ref_status}, {ref:.6g})"
        if status == "optimal" and ref_status != "optimal":
            mark = f"spopt + CBC: {ref_status}"
        ref_cells = f"{t_ref:.2f} | {t_ref / t_ours:.1f}x"
        if args.planner_only:
            mark, ref_cells = status, "not run | -"
        print(f"| {model} | {n} | {p} | {demand} | {t_ours:.2f} | {ref_cells} | {ours:.6g} | {mark} |", flush=True)
    print(summary(rows, max(sizes), args.planner_only))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    wrong = [r for r in rows if not r["agree"] and (r["planner_status"] != "optimal" or r["spopt_status"] == "optimal")]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
