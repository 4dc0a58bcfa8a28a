"""Optimisation benchmark: Station Planner's ``solve`` against spopt + CBC and a plain HiGHS model.

Every instance is solved three (or four) ways, from the same instance objects:

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
   y_i <= sum_j a_ij x_j, sum x = p, x, y binary.  pscp: min sum x  s.t.
   y_i <= sum_j a_ij x_j, w @ y >= share * sum w, x, y binary. ``mip_rel_gap=0`` (the same
   proof standard as Station Planner; HiGHS' default would stop at 1e-4).
3. **Station Planner** -- ``planner.solve(minutes_csr, model=..., p=...,
   radius=5, weights=w, time_limit=...)``, the ``planner`` this process imports
   (the report names its file: run with ``PYTHONPATH=.`` from a checkout when
   another one is installed).
4. **reference** (``--reference DIR``) -- the same call with the ``planner`` package
   of another checkout (``DIR``, e.g. the main branch's), timed in a fresh subprocess
   (``PYTHONPATH=DIR``) on the same instance, regenerated there from its seed; this
   checkout's package is then timed the same way too (``pl (sub)``), and the ratio
   compares those two (a long-lived process that has built spopt's dense models times
   the same code up to 2x slower).

Every solve has a time limit (default 300 s each; ``--quick``: 30 s each;
``--planner-time-limit none`` lets Station Planner run unbounded). A solve that
hits it is reported with status ``time_limit`` (and a ``*`` in the table); its
speed ratio is then a bound, shown as ``>=`` when only the other method hit it.

Two instance families (``optimize_instances.py`` has the generators; ``--family``):

``sparse`` -- homes, then sites, uniform in a square, ``rng =
default_rng([20240611, H, S])``, side ``L = sqrt(S * pi * 400^2 / k)`` (``k`` sites
within 400 m of a point, ``--sites-per-home``, default 1.5), weights
``rng.integers(1, 51, H)``. The default ``k = 1.5`` gives 12,349 distinct coverage
sets among 50,000 homes and about 24 % of homes beyond every site: the sparse
coverage of a county with few candidate sites, where most homes have one site
(and fold away). ``--sites-per-home 15``: uniformly scattered and much denser,
genuinely hard set covering (expect time limits).

``compounds`` (issue 17) -- homes cluster in compounds, and candidate sites cluster
around the same compounds (a town where every property room, park and square is a
candidate): ``rng = default_rng([20240611, 2, H, S])``, ``C = round(S / 4.5)``
compound centres uniform in [0, L]^2 with ``L = sqrt(S * pi * 400^2 / 0.5)``, each
home at a random compound's centre plus normal noise (sd 150 m per axis), each site
at a random compound's centre plus noise (sd 200 m); weights ``1 + 49 * perm(H) / H``
(a random permutation of 0..H-1: all distinct, in [1, 50)). A home then reaches
3.77 sites on average (50,000 x 5,000: 10,009 distinct coverage sets, 10.6 % of
homes with one site, 3.8 % with none).

Both: a home is covered by a site when Euclidean distance / (80 m per minute) <= 5
minutes (400 m); the sparse minutes matrix comes from
``scipy.spatial.cKDTree.sparse_distance_matrix`` (never dense except for spopt). For
lscp the instance is the homes with at least one site in reach (the report says how
many were dropped); mclp and pscp use every home. pscp (partial set covering) asks for
the fewest sites covering 95 % of the population some site reaches (``PSCP_SHARE``);
spopt has no such model, so it is compared with the plain model only.

Sizes (homes x sites, mclp p): 2,000 x 400 (40), 10,000 x 1,000 (100),
50,000 x 5,000 (300), 200,000 x 20,000 (1,000), each in both families.
``--quick``: the two small ones.

Run: PYTHONPATH=. python benchmarks/bench_optimize.py [--quick] [--family sparse|compounds|both] [--models lscp mclp pscp]
     [--sizes 2000x400:40 50000x5000] [--reference /path/to/other/checkout]
     [--baseline-time-limit S] [--spopt-time-limit S] [--planner-time-limit S|none]
     [--no-baseline] [--no-spopt] [--json report.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from optimize_instances import FAMILIES, RADIUS, SPEED, Instance, describe, make_instance, pattern
from scipy.optimize import Bounds, LinearConstraint, milp

import planner

warnings.filterwarnings("ignore")

TARGET_SITES_PER_HOME = 1.5
REPEAT = 1  # --repeat: Station Planner's solves (and the reference's) are timed this many times, the fastest counts
DEFAULT_SIZES = [(2_000, 400, 40), (10_000, 1_000, 100), (50_000, 5_000, 300), (200_000, 20_000, 1_000)]
SPOPT_SIZES = {(2_000, 400), (10_000, 1_000)}
REL_TOL = 1e-6
PSCP_SHARE = 0.95  # pscp: the fewest stations covering 95 % of the population some site reaches
MODELS = ("lscp", "mclp", "pscp")


def pscp_share(inst: Instance) -> float:
    """The ``share`` (of all residents) pscp is asked for: ``PSCP_SHARE`` of those some site reaches."""
    reach = np.diff(inst.minutes.indptr) > 0
    return PSCP_SHARE * float(inst.weights[reach].sum()) / float(inst.weights.sum())


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- checks


def check_selection(
    a: sp.csr_matrix, w: np.ndarray, selected: np.ndarray, model: str, p: int | None, share: float | None = None
) -> dict:
    """Recompute the objective of a selection independently of the solver that made it."""
    selected = np.asarray(selected, dtype=np.int64)
    hit = np.asarray(a[:, selected].sum(axis=1)).ravel() > 0 if len(selected) else np.zeros(a.shape[0], bool)
    if model == "lscp":
        return {"check_objective": float(len(selected)), "feasible": bool(hit.all())}
    if model == "pscp":
        assert share is not None
        return {"check_objective": float(len(selected)), "feasible": bool(w[hit].sum() >= share * w.sum() * (1 - 1e-9))}
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
    out = {
        "seconds": seconds,
        "build_seconds": t_build,
        "status": status,
        "objective": float(value) if value is not None else None,
        "n_selected": len(selected),
    }
    if error and not optimal:
        out["error"] = error
    out.update(check_selection(pattern(m), w, selected, model, inst.p))
    del mdl, prob
    return out


def run_baseline(inst: Instance, model: str, time_limit: float) -> dict:
    """The plain sparse model: no merging, no dropping, no decomposition."""
    m = inst.lscp_minutes if model == "lscp" else inst.minutes
    w = inst.lscp_weights if model == "lscp" else inst.weights
    t0 = time.perf_counter()
    a = pattern(m)  # coverage a_ij as scipy.sparse
    n_homes, n_sites = a.shape
    options = {"disp": False, "time_limit": time_limit, "mip_rel_gap": 0.0}
    if model == "lscp":
        res = milp(
            np.ones(n_sites),
            integrality=np.ones(n_sites),
            bounds=Bounds(0, 1),
            constraints=[LinearConstraint(a, lb=1.0, ub=np.inf)],
            options=options,
        )
        selected = np.flatnonzero(res.x > 0.5) if res.x is not None else np.zeros(0, np.int64)
        objective = float(res.fun) if res.x is not None else None
    elif model == "pscp":
        # min sum x  s.t.  y_i - sum_j a_ij x_j <= 0, w @ y >= share * total
        link = sp.hstack([-a, sp.identity(n_homes, format="csr")], format="csr")
        total = sp.csr_matrix(np.concatenate([np.zeros(n_sites), w])[None, :])
        c = np.concatenate([np.ones(n_sites), np.zeros(n_homes)])
        target = pscp_share(inst) * w.sum() * (1 - 1e-9)
        res = milp(
            c,
            integrality=np.ones(n_sites + n_homes),
            bounds=Bounds(0, 1),
            constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(total, target, np.inf)],
            options=options,
        )
        selected = np.flatnonzero(res.x[:n_sites] > 0.5) if res.x is not None else np.zeros(0, np.int64)
        objective = float(round(res.fun)) if res.x is not None else None
    else:
        # variables [x (sites) | y (homes)]; y_i - sum_j a_ij x_j <= 0; sum x = p
        link = sp.hstack([-a, sp.identity(n_homes, format="csr")], format="csr")
        count = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_homes)])[None, :])
        c = np.concatenate([np.zeros(n_sites), -w])
        res = milp(
            c,
            integrality=np.ones(n_sites + n_homes),
            bounds=Bounds(0, 1),
            constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(count, inst.p, inst.p)],
            options=options,
        )
        selected = np.flatnonzero(res.x[:n_sites] > 0.5) if res.x is not None else np.zeros(0, np.int64)
        objective = float(-res.fun) if res.x is not None else None
    seconds = time.perf_counter() - t0
    status = "optimal" if res.status == 0 else ("time_limit" if res.status == 1 else f"highs_status_{res.status}")
    gap = getattr(res, "mip_gap", None)
    out = {
        "seconds": seconds,
        "status": status,
        "objective": objective,
        "n_selected": len(selected),
        "gap": float(gap) if gap is not None and np.isfinite(gap) else None,
    }
    if res.x is not None:
        out.update(check_selection(a, w, selected, model, inst.p, pscp_share(inst)))
    return out


def run_planner(inst: Instance, model: str, time_limit: float | None) -> dict:
    """Station Planner's solve, timed ``REPEAT`` times or more (the fastest counts; every run's seconds are kept)."""
    m = inst.lscp_minutes if model == "lscp" else inst.minutes
    w = inst.lscp_weights if model == "lscp" else inst.weights
    kwargs: dict[str, Any] = {"model": model, "radius": RADIUS, "weights": w, "time_limit": time_limit}
    if model == "mclp":
        kwargs["p"] = inst.p
    if model == "pscp":
        kwargs["share"] = pscp_share(inst)
    runs: list[float] = []
    # --repeat N: N runs, and more of a fast solve (up to 20, until 1 s in all), the fastest counts
    while len(runs) < REPEAT or (REPEAT > 1 and sum(runs) < 1.0 and len(runs) < 20):
        t0 = time.perf_counter()
        sol = planner.solve(m, **kwargs)
        runs.append(time.perf_counter() - t0)
    seconds = min(runs)
    out = {
        "seconds": seconds,
        "status": sol.status,
        "objective": float(sol.objective),
        "n_selected": len(sol.selected),
        "gap": float(sol.gap) if np.isfinite(sol.gap) else None,
    }
    out["runs_s"] = [round(x, 4) for x in runs]
    for key in (
        "distinct_rows",
        "sites_kept",
        "components",
        "rows_in_model",
        "sites_fixed",
        "sites_in_mip",
        "rows_in_mip",
        "lower_bound",
        "greedy_count",
        "probes",
    ):
        if hasattr(sol.result, key):
            out[key] = getattr(sol.result, key)
    out.update(check_selection(pattern(m), w, sol.selected, model, inst.p, pscp_share(inst)))
    return out


def warm_up() -> None:
    """Load HiGHS / CBC / spopt once so the first timed solve pays no start-up cost."""
    inst = make_instance("sparse", 200, 40, 4)
    run_planner(inst, "mclp", None)
    run_baseline(inst, "mclp", 10)
    try:
        run_spopt(inst, "lscp", 10)
    except Exception as exc:
        log(f"spopt warm-up failed: {exc}")


def run_reference(inst: Instance, model: str, time_limit: float | None, directory: str) -> dict:
    """``run_planner`` with the ``planner`` package of another checkout, in a subprocess on the same instance."""
    spec = f"{inst.family}:{inst.n_homes}x{inst.n_sites}:{inst.p}:{model}"
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        spec,
        "--sites-per-home",
        str(TARGET_SITES_PER_HOME),
        "--repeat",
        str(REPEAT),
        "--planner-time-limit",
        "none" if time_limit is None else str(time_limit),
    ]
    env = dict(os.environ, PYTHONPATH=os.path.abspath(directory))
    done = subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker(spec: str, time_limit: float | None) -> int:
    """The subprocess of :func:`run_reference`: warm up, solve one instance, print the result as JSON."""
    family, dims, p, model = spec.split(":")
    n_homes, n_sites = (int(v) for v in dims.split("x"))
    run_planner(make_instance("sparse", 200, 40, 4), "mclp", None)
    inst = make_instance(family, n_homes, n_sites, int(p), TARGET_SITES_PER_HOME)
    res = run_planner(inst, model, time_limit)
    res["planner_file"] = planner.__file__
    print(json.dumps(res, default=float))
    return 0


# --------------------------------------------------------------------------- report


def same(a, b, model: str) -> bool:
    if a is None or b is None:
        return False
    if model in ("lscp", "pscp"):
        return round(a) == round(b)
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))


def compare(entry: dict) -> list[str]:
    model, methods = entry["model"], entry["methods"]
    ref = methods["planner"]
    lines = []
    ok = True
    for name in ("spopt", "baseline", "reference", "planner_subprocess"):
        other = methods.get(name)
        if other is None or "objective" not in other:
            continue
        if other.get("objective") is None:
            # the other method found no solution within its limit: nothing to compare
            lines.append(f"no comparison {entry['instance']} {model}: {name} has no solution ({other['status']})")
            continue
        if not same(other["objective"], ref.get("objective"), model):
            worse = other["objective"] < ref["objective"] if model == "mclp" else other["objective"] > ref["objective"]
            if other["status"] != "optimal" and ref["status"] == "optimal" and worse:
                # stopped at its limit with a worse plan than the proven optimum: no disagreement
                lines.append(
                    f"no comparison {entry['instance']} {model}: {name} stopped ({other['status']}) at "
                    f"{other['objective']}, short of the optimum"
                )
                continue
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
            understated = (
                model == "mclp"
                and res.get("status") != "optimal"
                and res["check_objective"] >= res["objective"] - REL_TOL * max(1.0, res["objective"])
            )
            if not res.get("feasible", True) or not (
                understated or same(res["check_objective"], res["objective"], model)
            ):
                ok = False
                lines.append(
                    f"MISMATCH {entry['instance']} {model}: {name} reports {res['objective']} "
                    f"but its selection gives {res['check_objective']} (feasible={res.get('feasible')})"
                )
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
    with_ref = any("reference" in e["methods"] for e in report["solves"])
    head = (
        "instance",
        "model",
        "p",
        "distinct",
        "objective",
        "equal",
        "spopt s",
        "baseline s",
        "planner s",
        "spopt/pl",
        "base/pl",
    ) + (("pl (sub) s", "reference s", "ref/pl") if with_ref else ())
    rows: list[tuple[str, ...]] = []
    info = {d["instance"]: d for d in report["instances"]}
    for e in report["solves"]:
        m = e["methods"]
        d = info[e["instance"]]
        row: tuple[str, ...] = (
            e["instance"],
            e["model"],
            str(e["p"] or (f"{PSCP_SHARE:.0%}" if e["model"] == "pscp" else "-")),
            str(d["distinct_coverage_sets_lscp"] if e["model"] == "lscp" else d["distinct_coverage_sets"]),
            fmt_obj(m["planner"].get("objective")),
            "yes" if e["objectives_equal"] else "NO",
            fmt_s(m.get("spopt")),
            fmt_s(m.get("baseline")),
            fmt_s(m["planner"]),
            fmt_r(e["spopt_over_planner"], m.get("spopt"), m["planner"]),
            fmt_r(e["baseline_over_planner"], m.get("baseline"), m["planner"]),
        )
        if with_ref:
            sub = m.get("planner_subprocess")
            row += (
                fmt_s(sub),
                fmt_s(m.get("reference")),
                fmt_r(e.get("reference_over_planner"), m.get("reference"), sub),
            )
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]

    def line(r):
        return "  ".join(c.rjust(wd) if i >= 2 else c.ljust(wd) for i, (c, wd) in enumerate(zip(r, widths)))

    out = [line(head), line(tuple("-" * wd for wd in widths))] + [line(r) for r in rows]
    out.append(
        "* = not proven optimal (time limit or error); >=Nx: the other method hit its limit, so the ratio "
        "is a lower bound; Nx?: Station Planner hit its limit; distinct = distinct coverage sets among the "
        "homes of that model's instance; pl (sub) / reference = this checkout's / --reference's Station Planner, "
        "each timed in a fresh subprocess (ref/pl compares these two)"
    )
    return "\n".join(out)


def targets(report: dict) -> tuple[list[dict], str]:
    solves = {(e["instance"], e["model"]): e for e in report["solves"]}
    rows = []

    def add(target: str, measured: str, ok: bool | None):
        rows.append(
            {"target": target, "measured": measured, "result": "not run" if ok is None else ("PASS" if ok else "FAIL")}
        )

    sp_pairs = [
        (e["methods"]["spopt"], e["methods"]["planner"])
        for e in report["solves"]
        if "seconds" in e["methods"].get("spopt", {})
    ]
    if sp_pairs:
        total = sum(a["seconds"] for a, _ in sp_pairs) / sum(b["seconds"] for _, b in sp_pairs)
        each = [a["seconds"] / b["seconds"] for a, b in sp_pairs]
        add(
            ">= 50x spopt overall",
            f"{total:.1f}x total time ({len(sp_pairs)} solves; per solve {min(each):.1f}x .. {max(each):.1f}x)",
            total >= 50,
        )
    else:
        add(">= 50x spopt overall", "-", None)
    names = sorted({e["instance"] for e in report["solves"]}, key=lambda n: ("-" in n, n))
    for suffix in ("", "-compounds"):
        for name in ("50000x5000" + suffix, "200000x20000" + suffix):
            e = solves.get((name, "mclp"))
            if e and e["baseline_over_planner"] is not None:
                b = e["methods"]["baseline"]
                note = "" if b["status"] == "optimal" else f" (baseline {b['status']}: a lower bound)"
                add(
                    f">= 10x plain baseline, {name} mclp",
                    f"{e['baseline_over_planner']:.1f}x{note}",
                    e["baseline_over_planner"] >= 10,
                )
            elif e:
                add(f">= 10x plain baseline, {name} mclp", "-", None)
        for name, limit in (("50000x5000" + suffix, 2.0), ("200000x20000" + suffix, 15.0)):
            for model in ("lscp", "mclp"):
                e = solves.get((name, model))
                if e:
                    label = f"{name} {model}{' p=' + str(e['p']) if e['p'] else ''} optimal < {limit:g} s"
                    pl = e["methods"]["planner"]
                    add(
                        label,
                        f"{pl['seconds']:.2f} s, {pl['status']}",
                        pl["status"] == "optimal" and pl["seconds"] < limit,
                    )
    for name in names:
        e = solves.get((name, "pscp"))
        if e and e["methods"]["planner"].get("status") is not None:
            pl, base = e["methods"]["planner"], e["methods"].get("baseline")
            versus = (
                ""
                if e["baseline_over_planner"] is None
                else f", {fmt_r(e['baseline_over_planner'], base, pl)} the plain model"
            )
            rows.append(
                {
                    "target": f"pscp {name} ({PSCP_SHARE:.0%} of the reachable population)",
                    "measured": f"{pl['seconds']:.2f} s, {pl['status']}{versus}",
                    "result": "(no target)",
                }
            )
    for name in names:
        e = solves.get((name, "lscp"))
        if e and e.get("reference_over_planner") is not None:
            add(
                f"lscp {name} at least as fast as the reference",
                f"{e['reference_over_planner']:.2f}x the reference's speed",
                e["reference_over_planner"] >= 0.9,
            )
    if any("reference" in r["target"] for r in rows):
        rows.append(
            {
                "target": "(reference: PASS at >= 0.9x, the same code's run-to-run spread here)",
                "measured": "",
                "result": "",
            }
        )
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


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only 2,000 x 400 and 10,000 x 1,000")
    ap.add_argument("--sizes", nargs="+", metavar="HxS[:P]", help="e.g. 2000x400 50000x5000:300")
    ap.add_argument("--family", choices=(*FAMILIES, "both"), default="both", help="instance family (default both)")
    ap.add_argument(
        "--reference",
        metavar="DIR",
        help="also time the planner package of this checkout (and this one's, both in subprocesses)",
    )
    ap.add_argument("--baseline-time-limit", type=float, help="seconds (default 300; --quick: 20)")
    ap.add_argument("--spopt-time-limit", type=float, help="seconds for CBC (default 300; --quick: 20)")
    ap.add_argument("--planner-time-limit", help="seconds, or 'none' (default 300; --quick: 20)")
    ap.add_argument("--no-spopt", action="store_true", help="skip spopt + CBC")
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain HiGHS model")
    ap.add_argument(
        "--sites-per-home",
        type=float,
        default=None,
        help="sparse family: mean number of sites within reach of a point (default 1.5)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time Station Planner (and the reference) this many times; the fastest counts (default 1)",
    )
    ap.add_argument(
        "--models",
        nargs="+",
        choices=MODELS,
        default=list(MODELS),
        help=f"models to solve (default: all; pscp asks for {PSCP_SHARE * 100:.0f}%% of the reachable population)",
    )
    ap.add_argument("--json", metavar="PATH", help="also write the JSON report here")
    ap.add_argument("--from-json", metavar="PATH", help="print a saved --json report's table and targets again")
    ap.add_argument("--worker", help=argparse.SUPPRESS)  # FAMILY:HxS:P:MODEL, for --reference
    args = ap.parse_args(argv)
    global TARGET_SITES_PER_HOME, REPEAT
    if args.sites_per_home is not None:
        TARGET_SITES_PER_HOME = float(args.sites_per_home)
    REPEAT = max(1, args.repeat)
    default_limit = 20.0 if args.quick else 300.0
    args.baseline_time_limit = args.baseline_time_limit or default_limit
    args.spopt_time_limit = args.spopt_time_limit or default_limit
    if args.planner_time_limit is None:
        args.planner_time_limit = default_limit
    elif str(args.planner_time_limit).lower() in ("none", "0", "inf"):
        args.planner_time_limit = None
    else:
        args.planner_time_limit = float(args.planner_time_limit)
    return args


def solve_all(inst: Instance, model: str, args) -> dict:
    entry: dict[str, Any] = {
        "instance": inst.name,
        "model": model,
        "p": inst.p if model == "mclp" else None,
        "methods": {},
    }
    if model == "pscp":
        entry["share"] = pscp_share(inst)
    # spopt has no partial set covering model
    use_spopt = not args.no_spopt and (inst.n_homes, inst.n_sites) in SPOPT_SIZES and model != "pscp"
    runs = [("planner", lambda: run_planner(inst, model, args.planner_time_limit))]
    if args.reference:
        # both checkouts timed the same way, each in a fresh subprocess, for the reference ratio
        here = os.path.dirname(os.path.dirname(os.path.abspath(planner.__file__)))
        runs.append(("planner_subprocess", lambda: run_reference(inst, model, args.planner_time_limit, here)))
        runs.append(("reference", lambda: run_reference(inst, model, args.planner_time_limit, args.reference)))
    if not args.no_baseline:
        runs.append(("baseline", lambda: run_baseline(inst, model, args.baseline_time_limit)))
    if use_spopt:
        runs.append(("spopt", lambda: run_spopt(inst, model, args.spopt_time_limit)))
    for name, fn in runs:
        log(f"  {inst.name} {model} {name} ...")
        try:
            res = fn()
        except Exception as exc:
            res = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
        entry["methods"][name] = res
        if "seconds" in res:
            log(f"    {res['seconds']:.3f} s  {res['status']}  objective {res.get('objective')}")
        else:
            log(f"    {res['error']}")
    for name in ("spopt", "baseline"):
        entry[f"{name}_over_planner"] = ratio(entry["methods"].get(name), entry["methods"]["planner"])
    entry["reference_over_planner"] = ratio(
        entry["methods"].get("reference"), entry["methods"].get("planner_subprocess")
    )
    return entry


def render(path: str) -> int:
    """``--from-json``: a saved report's table and targets again, its entries re-compared (nothing is solved)."""
    with open(path) as fh:
        report = json.load(fh)
    mismatches = [line for e in report["solves"] for line in compare(e) if line.startswith("MISMATCH")]
    print(table(report))
    print()
    print("Targets (from the issue)")
    print(targets(report)[1])
    print()
    print("\n".join(mismatches) if mismatches else "All objectives equal where both were proven optimal or agree.")
    s = report["settings"]
    print(
        f"Station Planner: {s.get('planner_file')}; reference: {s.get('reference')}; load average at start "
        f"{s['loadavg_at_start'][0]}, at end {s['loadavg_at_end'][0]}; peak RSS {report['peak_rss_mb']:.0f} MB"
    )
    return 1 if mismatches else 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(args.worker, args.planner_time_limit)
    if args.from_json:
        return render(args.from_json)
    if args.sizes:
        sizes = [parse_size(s) for s in args.sizes]
    else:
        sizes = DEFAULT_SIZES[:2] if args.quick else DEFAULT_SIZES
    families = FAMILIES if args.family == "both" else (args.family,)

    log("warming up solvers ...")
    warm_up()
    report: dict = {
        "settings": {
            "radius_minutes": RADIUS,
            "speed_m_per_min": SPEED,
            "target_sites_per_home": TARGET_SITES_PER_HOME,
            "families": list(families),
            "baseline_time_limit_s": args.baseline_time_limit,
            "spopt_time_limit_s": args.spopt_time_limit,
            "planner_time_limit_s": args.planner_time_limit,
            "mismatch_rel_tol": REL_TOL,
            "repeat": REPEAT,
            "planner_version": getattr(planner, "__version__", None),
            "planner_file": planner.__file__,
            "reference": os.path.abspath(args.reference) if args.reference else None,
            "cpus": os.cpu_count(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "instances": [],
        "solves": [],
    }
    mismatches: list[str] = []
    for n_homes, n_sites, p in sizes:
        for family in families:
            t = time.perf_counter()
            inst = make_instance(family, n_homes, n_sites, p, TARGET_SITES_PER_HOME)
            desc = describe(inst)
            desc["generate_seconds"] = round(time.perf_counter() - t, 3)
            report["instances"].append(desc)
            log(
                f"{inst.name}: {desc['pairs_within_5_min']} pairs, {desc['mean_sites_per_home']} sites/home, "
                f"{desc['distinct_coverage_sets']} distinct sets, {desc['homes_unreachable_dropped_for_lscp']} "
                f"homes unreachable"
            )
            for model in args.models:
                entry = solve_all(inst, model, args)
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
        print(
            "All objectives equal (lscp / pscp: stations; mclp: covered weight, rel. tol 1e-6); "
            "every selection re-checked independently."
        )
    print(f"Station Planner: {planner.__file__}" + (f"; reference: {args.reference}" if args.reference else ""))
    print(
        f"Time limits: spopt {args.spopt_time_limit:g} s, baseline {args.baseline_time_limit:g} s, planner "
        f"{'none' if args.planner_time_limit is None else format(args.planner_time_limit, 'g') + ' s'}; "
        f"load average at start {report['settings']['loadavg_at_start'][0]}, at end "
        f"{report['settings']['loadavg_at_end'][0]} on {os.cpu_count()} CPUs"
    )
    print(f"Peak RSS: {peak_rss_mb():.0f} MB")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
