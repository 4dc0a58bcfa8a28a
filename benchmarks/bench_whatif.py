"""What-if page benchmark: page size and the time of one update in Chromium, 20,000 homes x 1,000 candidates.

A seeded synthetic town (6 km x 6 km, homes in clusters, candidates scattered, walking minutes = straight
distance x a detour factor of 1.1 to 1.5 at 80 m a minute, kept within 5 minutes: about 7 candidates per
home) with a walking area of 160 vertices per candidate (the Helsinki default's areas have 164 on average
after the page's simplification) and a greedy proposed plan. The page is written offline (Leaflet inlined)
and opened in Debian's Chromium with the network off; 200 random sites are toggled through
``window.stationPlanner.toggle``, each timed with ``performance.now()`` inside the page: the update is
complete when ``toggle`` returns (coverage, nearest stations, the panel, the recoloured homes drawn on their
canvas, the marker and its walking area). The page's figures are checked against :func:`planner.evaluate`.

Run: python benchmarks/bench_whatif.py [--homes 20000] [--sites 1000] [--toggles 200]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

import planner
from planner.outputs.maps import WhatIf
from planner.outputs.maps.draw import MapContent, draw_map
from planner.reach.matrix import Coverage

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip
CRS = "EPSG:32650"  # a UTM zone; the town sits around (500 km E, 3,000 km N)


def town(n_homes: int, n_sites: int, seed: int = 16):
    """Homes, sites, the coverage (5 minutes), walking areas and a greedy proposed plan."""
    rng = np.random.default_rng(seed)
    side = 6000.0
    centres = rng.uniform(0, side, (n_homes // 40, 2))
    homes_xy = centres[rng.integers(len(centres), size=n_homes)] + rng.normal(0, 120, (n_homes, 2))
    sites_xy = rng.uniform(0, side, (n_sites, 2))
    pairs = cKDTree(sites_xy).query_ball_point(homes_xy, r=400.0)
    rows = np.repeat(np.arange(n_homes), [len(p) for p in pairs])
    cols = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs])
    dist = np.hypot(*(homes_xy[rows] - sites_xy[cols]).T)
    minutes = np.round(dist * rng.uniform(1.1, 1.5, len(dist)) / 80.0, 2)
    keep = minutes <= 5.0
    matrix = sp.csr_matrix((minutes[keep], (rows[keep], cols[keep])), shape=(n_homes, n_sites))
    population = rng.integers(1, 200, n_homes).astype(float)
    cov = Coverage(matrix, (5.0,), np.array([f"h{i}" for i in range(n_homes)]),
                   np.array([f"s{i:04d}" for i in range(n_sites)]), population)  # fmt: skip
    offset = np.array([500_000.0, 3_000_000.0])
    homes = gpd.GeoDataFrame({"demand_id": cov.demand_ids, "population": population},
                             geometry=shapely.points(homes_xy + offset), crs=CRS)  # fmt: skip
    sites = gpd.GeoDataFrame({"site_id": cov.site_ids, "name": [f"Site {i} <{i}>" for i in range(n_sites)],
                              "existing": np.arange(n_sites) < 20},
                             geometry=shapely.points(sites_xy + offset), crs=CRS)  # fmt: skip
    angle = np.linspace(0, 2 * np.pi, 160, endpoint=False)
    radius = rng.uniform(150, 330, (n_sites, len(angle)))
    rings = (sites_xy + offset)[:, None, :] + radius[..., None] * np.stack([np.cos(angle), np.sin(angle)], -1)
    areas = gpd.GeoDataFrame({"site_id": cov.site_ids}, geometry=shapely.polygons(rings), crs=CRS)
    return cov, homes, sites, areas, greedy(matrix, population, required=np.arange(20), share=0.9)


def greedy(matrix: sp.csr_matrix, population: np.ndarray, *, required: np.ndarray, share: float) -> np.ndarray:
    """Sites added greedily (most residents newly covered first) until ``share`` of the coverable are covered."""
    csc = sp.csc_matrix(matrix)
    covered = np.zeros(matrix.shape[0], bool)
    chosen = list(required)
    for s in chosen:
        covered[csc.indices[csc.indptr[s] : csc.indptr[s + 1]]] = True
    coverable = population[np.diff(matrix.indptr) > 0].sum()
    gain = np.asarray(csc.T @ (population * ~covered)).ravel()
    while population[covered].sum() < share * coverable:
        s = int(np.argmax(gain))
        homes = csc.indices[csc.indptr[s] : csc.indptr[s + 1]]
        new = homes[~covered[homes]]
        covered[new] = True
        chosen.append(s)
        gain = np.asarray(csc.T @ (population * ~covered)).ravel()
    return np.array(sorted(chosen))


def write_page(out: Path, cov, homes, sites, areas, proposed) -> Path:
    ev = planner.evaluate(cov, cov.site_ids[proposed])
    stations = sites.iloc[proposed].assign(population_within=0.0)
    whatif = WhatIf(cov, 5.0, sites, proposed, areas)
    content = MapContent(stations, areas.iloc[proposed], homes, ev.covered, minutes=5.0, whatif=whatif)
    fmap = draw_map(content, offline=True)
    path = out / "plan.html"
    path.write_text(fmap.get_root().render(), encoding="utf-8")
    return path


def measure(path: Path, sites: list[str], toggles: int, seed: int) -> dict:
    from playwright.sync_api import sync_playwright

    order = [sites[i] for i in np.random.default_rng(seed).integers(len(sites), size=toggles)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        t = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("() => window.stationPlanner !== undefined", timeout=60_000)
        load = time.perf_counter() - t
        times = page.evaluate(
            """(ids) => ids.map((id) => {
                const t = performance.now(); window.stationPlanner.toggle(id); return performance.now() - t; })""",
            order,
        )
        state = page.evaluate("() => window.stationPlanner.state()")
        # the same toggles again, each until the browser has drawn the next frame (style, layout, paint and
        # the wait for it included): one at a time, after a frame with nothing to do
        frame = page.evaluate(
            """async (ids) => {
                const next = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
                const out = [];
                for (const id of ids) {
                    await next();
                    const t = performance.now();
                    window.stationPlanner.toggle(id);
                    await next();
                    out.push(performance.now() - t);
                }
                return out; }""",
            order[: max(1, toggles // 4)],
        )
        browser.close()
    assert not errors, errors
    return {"load": load, "times": np.array(times), "state": state, "frame": frame, "order": order}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--homes", type=int, default=20_000)
    ap.add_argument("--sites", type=int, default=1_000)
    ap.add_argument("--toggles", type=int, default=200)
    args = ap.parse_args()
    if shutil.which("chromium") is None:
        print("chromium not installed: apt-get install -y chromium")
        return 1
    t = time.perf_counter()
    cov, homes, sites, areas, proposed = town(args.homes, args.sites)
    per_home = cov.minutes.nnz / cov.shape[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_page(Path(tmp), cov, homes, sites, areas, proposed)
        build = time.perf_counter() - t
        size = path.stat().st_size
        run = measure(path, list(cov.site_ids), args.toggles, seed=1)
    # the page's figures after the toggles: those of planner.evaluate for the same stations
    ev = planner.evaluate(cov, run["state"]["stations"])
    assert abs(ev.population_covered - run["state"]["population_covered"]) < 1e-6
    assert all(abs(ev.assigned[k] - v) < 1e-6 for k, v in run["state"]["assigned"].items())
    times = run["times"]
    print(json.dumps({"homes": args.homes, "sites": args.sites, "pairs_per_home": round(per_home, 2),
                      "proposed": len(proposed), "page_mb": round(size / 1e6, 2), "build_s": round(build, 2),
                      "load_s": round(run["load"], 2)}))  # fmt: skip
    print(
        f"what-if {args.homes:,} homes x {args.sites:,} candidates ({per_home:.1f} per home): page "
        f"{size / 1e6:.1f} MB; one update (toggle, panel, recolour drawn) over {len(times)} random toggles: "
        f"median {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms, max {times.max():.1f} ms; "
        f"until the next frame is drawn ({len(run['frame'])} toggles): median {np.median(run['frame']):.1f} ms, "
        f"p95 {np.percentile(run['frame'], 95):.1f} ms; page load {run['load']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
