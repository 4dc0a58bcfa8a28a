"""Optimisation benchmark: Station Planner's ``solve`` against spopt + CBC and a plain HiGHS model.

Every instance is solved three ways, from the same instance objects:

1. **spopt + CBC** -- ``spopt.locate.LSCP.from_cost_matrix`` /
   ``spopt.locate.MCLP.from_cost_matrix`` on the dense minutes matrix
   (unreachable pairs = ``inf``), solved with ``pulp.PULP_CBC_CMD(msg=False,
   timeLimit=...)``. spopt builds a dense PuLP model (one term per home x site,
   zeros included), so it only runs at 2,000 x 400 and 10,000 x 1,000. The time
   is build + solve (``solve(..., results=False)``: spopt's coverage look-up
   arrays are not built, which only favours spopt).
2. **plain HiGHS baseline** -- the model any engineer would write first with
   ``scipy.optimize.milp``: one binary per site, one covered variable per home,
   the coverage as a ``scipy.sparse`` matrix, no reductions at all.
   lscp: min sum x  s.t.  A x >= 1 (every home).  mclp: max sum w y  s.t.
   y_i <= sum_j a_ij x_j, sum x = p, x, y binary. ``mip_rel_gap=0`` (the same
   proof standard as Station Planner; HiGHS' default would stop at 1e-4).
3. **Station Planner** -- ``planner.solve(minutes_csr, model=..., p=...,
   radius=5, weights=w, time_limit=...)``.

Every solve has a time limit (default 300 s each; ``--quick``: 30 s each;
``--planner-time-limit none`` lets Station Planner run unbounded). A solve that
hits it is reported with status ``time_limit`` (and a ``*`` in the table); its
speed ratio is then a bound, shown as ``>=`` when only the other method hit it.
The default ``k = 1.5`` is calibrated to the issue's instances: it gives 12,349
distinct coverage sets among 50,000 homes (the issue measured about 11,000) and
about 24 % of homes beyond every site, the sparse coverage of a county with
few candidate sites. ``--sites-per-home 15`` gives a much denser, harder
instance: uniformly scattered homes then make set covering genuinely hard (few
homes share a coverage set and the LP bound is weak), so expect time limits.

Instance generator (seeded, deterministic): for ``H`` homes and ``S`` sites,
``rng = numpy.random.default_rng([20240611, H, S])``; homes, then sites, uniform
in the square [0, L]^2 with ``L = sqrt(S * pi * 400^2 / k)`` metres, ``k`` sites
within 400 m of a point on average (``--sites-per-home``, default 1.5); then the weights
``rng.integers(1, 51, H)`` (1..50 residents). A home is covered by a site when
Euclidean distance / (80 m per minute) <= 5 minutes (400 m). The sparse minutes
matrix comes from ``scipy.spatial.cKDTree.sparse_distance_matrix`` (never
dense except for spopt). For lscp the instance is the homes with at least one
site in reach (the report says how many were dropped); mclp uses every home.

Sizes (homes x sites, mclp p): 2,000 x 400 (40), 10,000 x 1,000 (100),
50,000 x 5,000 (300), 200,000 x 20,000 (1,000). ``--quick``: the two small ones.

Run: python benchmarks/bench_optimize.py [--quick] [--sizes 2000x400:40 50000x5000]
     [--baseline-time-limit S] [--spopt-time-limit S] [--planner-time-limit S|none]
     [--json report.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

import planner

warnings.filterwarnings("ignore")

SPEED = 80.0  # metres per minute
RADIUS = 5.0  # minutes
REACH_M = SPEED * RADIUS  # 400 m
TARGET_SITES_PER_HOME = 1.5
DEFAULT_SIZES = [(2_000, 400, 40), (10_000, 1_000, 100), (50_000, 5_000, 300), (200_000, 20_000, 1_000)]
SPOPT_SIZES = {(2_000, 400), (10_000, 1_000)}
REL_TOL = 1e-6


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- instances


@dataclass
class Instance:
    """One seeded instance; ``minutes`` is CSR (homes x sites) holding minutes <= RADIUS."""

    name: str
    n_homes: int
    n_sites: int
    p: int
    side_m: float
    minutes: sp.csr_matrix
    weights: np.ndarray
    # lscp instance: the homes some site reaches
    lscp_rows: np.ndarray
    lscp_minutes: sp.csr_matrix
    lscp_weights: np.ndarray

    @property
    def pattern(self) -> sp.csr_matrix:
        return _pattern(self.minutes)

    @property
    def lscp_pattern(self) -> sp.csr_matrix:
        return _pattern(self.lscp_minutes)


def _pattern(m: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)


def make_instance(n_homes: int, n_sites: int, p: int) -> Instance:
    rng = np.random.default_rng([20240611, n_homes, n_sites])
    side = math.sqrt(n_sites * math.pi * REACH_M**2 / TARGET_SITES_PER_HOME)
    homes = rng.uniform(0.0, side, size=(n_homes, 2))
    sites = rng.uniform(0.0, side, size=(n_sites, 2))
    weights = rng.integers(1, 51, size=n_homes).astype(float)
    coo = cKDTree(homes).sparse_distance_matrix(cKDTree(sites), REACH_M, output_type="coo_matrix")
    minutes = coo.data / SPEED
    keep = minutes <= RADIUS
    m = sp.csr_matrix((minutes[keep], (coo.row[keep], coo.col[keep])), shape=(n_homes, n_sites))
    m.sort_indices()
    rows = np.flatnonzero(np.diff(m.indptr) > 0)
    lm = sp.csr_matrix(m[rows])
    lm.sort_indices()
    return Instance(
        name=f"{n_homes}x{n_sites}", n_homes=n_homes, n_sites=n_sites, p=p, side_m=side,
        minutes=m, weights=weights, lscp_rows=rows, lscp_minutes=lm, lscp_weights=weights[rows],
    )


def distinct_sets(m: sp.csr_matrix) -> int:
    """Number of distinct site sets among the rows (an empty row counts as one set)."""
    ind, ptr = m.indices, m.indptr
    return len({ind[a:b].tobytes() for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist())})


def describe(inst: Instance) -> dict:
    per_home = np.diff(inst.minutes.indptr)
    return {
        "instance": inst.name,
        "homes": inst.n_homes,
        "sites": inst.n_sites,
        "p": inst.p,
        "side_m": round(inst.side_m, 1),
        "pairs_within_5_min": int(inst.minutes.nnz),
        "mean_sites_per_home": round(float(per_home.mean()), 2),
        "homes_unreachable_dropped_for_lscp": int(inst.n_homes - len(inst.lscp_rows)),
        "distinct_coverage_sets": distinct_sets(inst.minutes),
        "distinct_coverage_sets_lscp": distinct_sets(inst.lscp_minutes),
        "population": float(inst.weights.sum()),
    }


# --------------------------------------------------------------------------- checks


def check_selection(a: sp.csr_matrix, w: np.ndarray, selected: np.ndarray, model: str, p: int | None) -> dict:
    """Recompute the objective of a selection independently of the solver that made it."""
    selected = np.asarray(selected, dtype=np.int64)
    hit = np.asarray(a[:, selected].sum(axis=1)).ravel() > 0 if len(selected) else np.zeros(a.shape[0], bool)
    if model == "lscp":
        return {"check_objective": float(len(selected)), "feasible": bool(hit.all())}
    return {"check_objective": float(w[hit].sum()), "feasible": len(selected) == p}


# --------------------------------------------------------------------------- methods


def run_spopt(inst: Instance, model: str, time_limit: float) -> dict:
    import pulp
    from spopt.locate import LSCP, MCLP

    m = inst.lscp_minutes if model == "lscp" else inst.minutes
    w = inst.lscp_weights if model == "lscp" else inst.weights
    t0 = time.perf_counter()
    cost = np.full(m.shape, np.inf)  # dense, as spopt needs it
    coo = m.tocoo()
    cost[coo.row, coo.col] = coo.data
    if model == "lscp":
        mdl = LSCP.from_cost_matrix(cost, RADIUS, name=f"lscp_{inst.name}")
    else:
        mdl = MCLP.from_cost_matrix(cost, w, RADIUS, p_facilities=inst.p, name=f"mclp_{inst.name}")
    del cost
    t_build = time.perf_counter() - t0
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
    error = None
    try:
        mdl.solve(solver, results=False)
    except RuntimeError as exc:  # spopt raises when pulp's status is not "Optimal"
        error = str(exc).split(".")[0]
    seconds = time.perf_counter() - t0
    prob = mdl.problem
    optimal = prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal
    if optimal:
        status = "optimal"
    elif prob.sol_status == pulp.LpSolutionIntegerFeasible or seconds - t_build >= time_limit * 0.98:
        status = "time_limit"
    else:
        status = f"pulp_status_{prob.status}/{prob.sol_status}"
    value = pulp.value(prob.objective)
    selected = np.array([j for j, v in enumerate(mdl.fac_vars) if (v.value() or 0) > 0.5], dtype=np.int64)
    out = {"seconds": seconds, "build_seconds": t_build, "status": status,
           "objective": float(value) if value is not None else None, "n_selected": int(len(selected))}
    if error and not optimal:
        out["error"] = error
    out.update(check_selection(_pattern(m), w, selected, model, inst.p))
    del mdl, prob
    return out


def run_baseline(inst: Instance, model: str, time_limit: float) -> dict:
    """The plain sparse model: no merging, no dropping, no decomposition."""
    m = inst.lscp_minutes if model == "lscp" else inst.minutes
    w = inst.lscp_weights if model == "lscp" else inst.weights
    t0 = time.perf_counter()
    a = _pattern(m)  # coverage a_ij as scipy.sparse
    n_homes, n_sites = a.shape
    options = {"disp": False, "time_limit": time_limit, "mip_rel_gap": 0.0}
    if model == "lscp":
        res = milp(np.ones(n_sites), integrality=np.ones(n_sites), bounds=Bounds(0, 1),
                   constraints=[LinearConstraint(a, lb=1.0, ub=np.inf)], options=options)
        selected = np.flatnonzero(res.x > 0.5) if res.x is not None else np.zeros(0, np.int64)
        objective = float(res.fun) if res.x is not None else None
    else:
        # variables [x (sites) | y (homes)]; y_i - sum_j a_ij x_j <= 0; sum x = p
        link = sp.hstack([-a, sp.identity(n_homes, format="csr")], format="csr")
        count = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_homes)])[None, :])
        c = np.concatenate([np.zeros(n_sites), -w])
        res = milp(c, integrality=np.ones(n_sites + n_homes), bounds=Bounds(0, 1),
                   constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(count, inst.p, inst.p)],
                   options=options)
        selected = np.flatnonzero(res.x[:n_sites] > 0.5) if res.x is not None else np.zeros(0, np.int64)
        objective = float(-res.fun) if res.x is not None else None
    seconds = time.perf_counter() - t0
    status = "optimal" if res.status == 0 else ("time_limit" if res.status == 1 else f"highs_status_{res.status}")
    gap = getattr(res, "mip_gap", None)
    out = {"seconds": seconds, "status": status, "objective": objective, "n_selected": int(len(selected)),
           "gap": float(gap) if gap is not None and np.isfinite(gap) else None}
    if res.x is not None:
        out.update(check_selection(a, w, selected, model, inst.p))
    return out


def run_planner(inst: Instance, model: str, time_limit: float | None) -> dict:
    m = inst.lscp_minutes if model == "lscp" else inst.minutes
    w = inst.lscp_weights if model == "lscp" else inst.weights
    kwargs = {"model": model, "radius": RADIUS, "weights": w, "time_limit": time_limit}
    if model == "mclp":
        kwargs["p"] = inst.p
    t0 = time.perf_counter()
    sol = planner.solve(m, **kwargs)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "status": sol.status, "objective": float(sol.objective),
           "n_selected": int(len(sol.selected)), "gap": float(sol.gap) if np.isfinite(sol.gap) else None}
    for key in ("distinct_rows", "sites_kept", "components"):
        if hasattr(sol.result, key):
            out[key] = getattr(sol.result, key)
    out.update(check_selection(_pattern(m), w, sol.selected, model, inst.p))
    return out


def warm_up() -> None:
    """Load HiGHS / CBC / spopt once so the first timed solve pays no start-up cost."""
    inst = make_instance(200, 40, 4)
    run_planner(inst, "mclp", None)
    run_baseline(inst, "mclp", 10)
    try:
        run_spopt(inst, "lscp", 10)
    except Exception as exc:  # noqa: BLE001 -- spopt may be missing; reported later
        log(f"spopt warm-up failed: {exc}")


# --------------------------------------------------------------------------- report


def same(a, b, model: str) -> bool:
    if a is None or b is None:
        return False
    if model == "lscp":
        return round(a) == round(b)
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))


def compare(entry: dict) -> list[str]:
    model, methods = entry["model"], entry["methods"]
    ref = methods["planner"]
    lines = []
    ok = True
    for name in ("spopt", "baseline"):
        other = methods.get(name)
        if other is None or "objective" not in other:
            continue
        if other.get("objective") is None:
            # the other method found no solution within its limit: nothing to compare
            lines.append(f"no comparison {entry['instance']} {model}: {name} has no solution ({other['status']})")
            continue
        if not same(other["objective"], ref.get("objective"), model):
            ok = False
            proven = other["status"] == "optimal" and ref["status"] == "optimal"
            lines.append(
                f"MISMATCH {entry['instance']} {model}: {name}={other['objective']} planner={ref.get('objective')}"
                + ("  (both proven optimal!)" if proven else f"  ({name} {other['status']}, planner {ref['status']})")
            )
    for name, res in methods.items():
        if "check_objective" in res and res.get("objective") is not None:
            # an mclp incumbent stopped at a time limit may leave covered homes' y at 0: its selection
            # then covers more than it reports, which is no error; covering less always is
            understated = (model == "mclp" and res.get("status") != "optimal"
                           and res["check_objective"] >= res["objective"] - REL_TOL * max(1.0, res["objective"]))
            if not res.get("feasible", True) or not (understated or same(res["check_objective"], res["objective"], model)):
                ok = False
                lines.append(f"MISMATCH {entry['instance']} {model}: {name} reports {res['objective']} "
                             f"but its selection gives {res['check_objective']} (feasible={res.get('feasible')})")
    entry["objectives_equal"] = ok
    return lines


def ratio(a: dict | None, b: dict | None) -> float | None:
    if not a or not b or "seconds" not in a or "seconds" not in b or b["seconds"] <= 0:
        return None
    return a["seconds"] / b["seconds"]


def fmt_s(res: dict | None) -> str:
    if res is None:
        return "-"
    if "seconds" not in res:
        return "error"
    mark = "" if res["status"] == "optimal" else "*"
    return f"{res['seconds']:.3f}{mark}"


def fmt_r(x: float | None, other: dict | None = None, ref: dict | None = None) -> str:
    if x is None:
        return "-"
    if ref is not None and ref.get("status") != "optimal":
        return f"{x:.1f}x?"  # Station Planner itself stopped early: no meaningful ratio
    if other is not None and other.get("status") != "optimal":
        return f">={x:.1f}x"  # the other method stopped at its limit: a lower bound
    return f"{x:.1f}x"


def fmt_obj(x) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.3f}"


def table(report: dict) -> str:
    head = ("instance", "model", "p", "distinct", "objective", "equal", "spopt s", "baseline s", "planner s",
            "spopt/pl", "base/pl")
    rows = []
    info = {d["instance"]: d for d in report["instances"]}
    for e in report["solves"]:
        m = e["methods"]
        d = info[e["instance"]]
        rows.append((
            e["instance"], e["model"], str(e["p"] or "-"),
            str(d["distinct_coverage_sets_lscp"] if e["model"] == "lscp" else d["distinct_coverage_sets"]),
            fmt_obj(m["planner"].get("objective")), "yes" if e["objectives_equal"] else "NO",
            fmt_s(m.get("spopt")), fmt_s(m.get("baseline")), fmt_s(m["planner"]),
            fmt_r(e["spopt_over_planner"], m.get("spopt"), m["planner"]),
            fmt_r(e["baseline_over_planner"], m.get("baseline"), m["planner"]),
        ))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda r: "  ".join(c.rjust(wd) if i >= 2 else c.ljust(wd) for i, (c, wd) in enumerate(zip(r, widths)))
    out = [line(head), line(tuple("-" * wd for wd in widths))] + [line(r) for r in rows]
    out.append("* = not proven optimal (time limit or error); >=Nx: the other method hit its limit, so the ratio "
               "is a lower bound; Nx?: Station Planner hit its limit; distinct = distinct coverage sets among the "
               "homes of that model's instance")
    return "\n".join(out)


def targets(report: dict) -> tuple[list[dict], str]:
    solves = {(e["instance"], e["model"]): e for e in report["solves"]}
    rows = []

    def add(target: str, measured: str, ok: bool | None):
        rows.append({"target": target, "measured": measured,
                     "result": "not run" if ok is None else ("PASS" if ok else "FAIL")})

    sp_pairs = [(e["methods"]["spopt"], e["methods"]["planner"]) for e in report["solves"]
                if "seconds" in e["methods"].get("spopt", {})]
    if sp_pairs:
        total = sum(a["seconds"] for a, _ in sp_pairs) / sum(b["seconds"] for _, b in sp_pairs)
        each = [a["seconds"] / b["seconds"] for a, b in sp_pairs]
        add(">= 50x spopt overall", f"{total:.1f}x total time ({len(sp_pairs)} solves; per solve "
            f"{min(each):.1f}x .. {max(each):.1f}x)", total >= 50)
    else:
        add(">= 50x spopt overall", "-", None)
    for name in ("50000x5000", "200000x20000"):
        e = solves.get((name, "mclp"))
        if e and e["baseline_over_planner"] is not None:
            b = e["methods"]["baseline"]
            note = "" if b["status"] == "optimal" else f" (baseline {b['status']}: a lower bound)"
            add(f">= 10x plain baseline, {name} mclp", f"{e['baseline_over_planner']:.1f}x{note}",
                e["baseline_over_planner"] >= 10)
        else:
            add(f">= 10x plain baseline, {name} mclp", "-", None)
    for name, limit in (("50000x5000", 2.0), ("200000x20000", 15.0)):
        for model in ("lscp", "mclp"):
            e = solves.get((name, model))
            label = f"{name} {model}{' p=' + str(e['p']) if e and e['p'] else ''} optimal < {limit:g} s"
            if e:
                pl = e["methods"]["planner"]
                add(label, f"{pl['seconds']:.2f} s, {pl['status']}",
                    pl["status"] == "optimal" and pl["seconds"] < limit)
            else:
                add(label, "-", None)
    w0 = max(len(r["target"]) for r in rows)
    w1 = max(len(r["measured"]) for r in rows)
    text = "\n".join(f"{r['target'].ljust(w0)}  {r['measured'].ljust(w1)}  {r['result']}" for r in rows)
    return rows, text


# --------------------------------------------------------------------------- main


def parse_size(text: str) -> tuple[int, int, int]:
    dims, _, p = text.replace(",", "").partition(":")
    h, s = (int(v) for v in dims.lower().split("x"))
    if p:
        return h, s, int(p)
    for dh, ds, dp in DEFAULT_SIZES:
        if (dh, ds) == (h, s):
            return h, s, dp
    return h, s, max(1, s // 16)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only 2,000 x 400 and 10,000 x 1,000")
    ap.add_argument("--sizes", nargs="+", metavar="HxS[:P]", help="e.g. 2000x400 50000x5000:300")
    ap.add_argument("--baseline-time-limit", type=float, help="seconds (default 300; --quick: 20)")
    ap.add_argument("--spopt-time-limit", type=float, help="seconds for CBC (default 300; --quick: 20)")
    ap.add_argument("--planner-time-limit", help="seconds, or 'none' (default 300; --quick: 20)")
    ap.add_argument("--no-spopt", action="store_true", help="skip spopt + CBC")
    ap.add_argument("--sites-per-home", type=float, default=None,
                    help="mean number of sites within reach of a home (default 1.5, calibrated to the issue)")
    ap.add_argument("--json", metavar="PATH", help="also write the JSON report here")
    args = ap.parse_args(argv)
    if args.sites_per_home is not None:
        global TARGET_SITES_PER_HOME
        TARGET_SITES_PER_HOME = float(args.sites_per_home)
    default_limit = 20.0 if args.quick else 300.0
    args.baseline_time_limit = args.baseline_time_limit or default_limit
    args.spopt_time_limit = args.spopt_time_limit or default_limit
    if args.planner_time_limit is None:
        args.planner_time_limit = default_limit
    elif str(args.planner_time_limit).lower() in ("none", "0", "inf"):
        args.planner_time_limit = None
    else:
        args.planner_time_limit = float(args.planner_time_limit)

    if args.sizes:
        sizes = [parse_size(s) for s in args.sizes]
    else:
        sizes = DEFAULT_SIZES[:2] if args.quick else DEFAULT_SIZES

    log("warming up solvers ...")
    warm_up()
    report: dict = {
        "settings": {
            "radius_minutes": RADIUS, "speed_m_per_min": SPEED, "target_sites_per_home": TARGET_SITES_PER_HOME,
            "baseline_time_limit_s": args.baseline_time_limit, "spopt_time_limit_s": args.spopt_time_limit,
            "planner_time_limit_s": args.planner_time_limit, "mismatch_rel_tol": REL_TOL,
            "planner_version": getattr(planner, "__version__", None),
            "cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "instances": [], "solves": [],
    }
    mismatches: list[str] = []
    for n_homes, n_sites, p in sizes:
        t = time.perf_counter()
        inst = make_instance(n_homes, n_sites, p)
        desc = describe(inst)
        desc["generate_seconds"] = round(time.perf_counter() - t, 3)
        report["instances"].append(desc)
        log(f"{inst.name}: {desc['pairs_within_5_min']} pairs, {desc['mean_sites_per_home']} sites/home, "
            f"{desc['distinct_coverage_sets']} distinct sets, {desc['homes_unreachable_dropped_for_lscp']} "
            f"homes unreachable")
        use_spopt = not args.no_spopt and (n_homes, n_sites) in SPOPT_SIZES
        for model in ("lscp", "mclp"):
            entry = {"instance": inst.name, "model": model, "p": inst.p if model == "mclp" else None, "methods": {}}
            runs = [("planner", lambda: run_planner(inst, model, args.planner_time_limit)),
                    ("baseline", lambda: run_baseline(inst, model, args.baseline_time_limit))]
            if use_spopt:
                runs.append(("spopt", lambda: run_spopt(inst, model, args.spopt_time_limit)))
            for name, fn in runs:
                log(f"  {inst.name} {model} {name} ...")
                try:
                    res = fn()
                except Exception as exc:  # noqa: BLE001 -- recorded in the report, the run goes on
                    res = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
                entry["methods"][name] = res
                if "seconds" in res:
                    log(f"    {res['seconds']:.3f} s  {res['status']}  objective {res.get('objective')}")
                else:
                    log(f"    {res['error']}")
            entry["spopt_over_planner"] = ratio(entry["methods"].get("spopt"), entry["methods"]["planner"])
            entry["baseline_over_planner"] = ratio(entry["methods"].get("baseline"), entry["methods"]["planner"])
            lines = compare(entry)
            mismatches += lines
            for line in lines:
                log(line)
            report["solves"].append(entry)
        del inst

    target_rows, target_text = targets(report)
    report["targets"] = target_rows
    report["mismatches"] = mismatches
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    report["settings"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]

    print(json.dumps(report, indent=1, default=float))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1, default=float)
    print()
    print(table(report))
    print()
    print("Targets (from the issue)")
    print(target_text)
    print()
    if mismatches:
        for line in mismatches:
            print(line)
    else:
        print("All objectives equal (lscp: stations; mclp: covered weight, rel. tol 1e-6); "
              "every selection re-checked independently.")
    print(f"Time limits: spopt {args.spopt_time_limit:g} s, baseline {args.baseline_time_limit:g} s, planner "
          f"{'none' if args.planner_time_limit is None else format(args.planner_time_limit, 'g') + ' s'}; "
          f"load average at start {report['settings']['loadavg_at_start'][0]}, at end "
          f"{report['settings']['loadavg_at_end'][0]} on {os.cpu_count()} CPUs")
    print(f"Peak RSS: {peak_rss_mb():.0f} MB")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
