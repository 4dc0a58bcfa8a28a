"""Coverage engine benchmark: Station Planner against the usual recipes, from one run.

(a) The embedded default (central Helsinki) with every network node as a site and as a
    home, against the osmnx isochrone recipe (one ``networkx.ego_graph`` per site).
(b) A seeded synthetic street grid of 160,000 nodes with 10,000 sites and 50,000 homes:
    the whole ``planner.reach.matrix`` call (snapping included), warm, and pandana 0.8's
    ``nodes_in_range`` on the same network where pandana is installed.
(c) Isochrones: 1,000 polygons on the synthetic grid.
(d) The larger OSM extracts of ../shared/data/osm through ``planner plan`` (skipped when absent).

Run: python benchmarks/bench_coverage.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

import planner
from planner.reach.arrays import network_arrays

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"
warnings.filterwarnings("ignore")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def grid_coordinates(side: int, spacing: float = 50.0, seed: int = 0):
    """Node coordinates ``x, y`` and street ends ``u, v`` of a side x side grid with seeded jitter."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (jj * spacing + rng.uniform(-5, 5, ii.shape)).ravel()
    y = (ii * spacing + rng.uniform(-5, 5, ii.shape)).ravel()
    ids = np.arange(side * side)
    right = ids.reshape(side, side)[:, :-1].ravel()
    up = ids.reshape(side, side)[:-1, :].ravel()
    return x, y, np.concatenate([right, up]), np.concatenate([right + 1, up + side])


def grid_network(side: int, spacing: float = 50.0, speed_kmh: float = 4.8, seed: int = 0) -> nx.MultiDiGraph:
    """A side x side street grid (two-way), node spacing ``spacing`` metres, with seeded jitter."""
    x, y, u, v = grid_coordinates(side, spacing, seed)
    ids = np.arange(side * side)
    lines = shapely.linestrings(np.stack([np.stack([x[u], y[u]], 1), np.stack([x[v], y[v]], 1)], 1))
    back = shapely.reverse(lines)
    length = shapely.length(lines)
    mpm = speed_kmh * 1000 / 60
    G = nx.MultiDiGraph(crs="EPSG:32650", speed_kmh=speed_kmh, simplified=True)
    G.add_nodes_from((int(i), {"x": float(a), "y": float(b)}) for i, a, b in zip(ids, x, y))
    G.add_edges_from(
        (int(a), int(b), 0, {"geometry": g, "length": float(L), "minutes": float(L / mpm)})
        for a, b, g, L in zip(u, v, lines, length)
    )
    G.add_edges_from(
        (int(b), int(a), 0, {"geometry": g, "length": float(L), "minutes": float(L / mpm)})
        for a, b, g, L in zip(u, v, back, length)
    )
    return G


def points_in(G: nx.MultiDiGraph, n: int, seed: int, id_col: str) -> gpd.GeoDataFrame:
    xs = np.array([d["x"] for _, d in G.nodes(data=True)])
    ys = np.array([d["y"] for _, d in G.nodes(data=True)])
    rng = np.random.default_rng(seed)
    px = rng.uniform(xs.min(), xs.max(), n)
    py = rng.uniform(ys.min(), ys.max(), n)
    return gpd.GeoDataFrame(
        {id_col: [f"{id_col[0]}{i}" for i in range(n)], "population": np.ones(n)},
        geometry=shapely.points(px, py),
        crs=G.graph["crs"],
    )


def nodes_as_points(G: nx.MultiDiGraph, id_col: str) -> gpd.GeoDataFrame:
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    return gpd.GeoDataFrame(
        {id_col: [str(n) for n in G.nodes], "population": np.ones(len(xs))},
        geometry=shapely.points(xs, ys),
        crs=G.graph["crs"],
    )


def part_a(report: dict, quick: bool) -> None:
    G = planner.load_network()
    nodes = nodes_as_points(G, "site_id")
    homes = nodes.rename(columns={"site_id": "demand_id"})
    planner.coverage(G, homes.iloc[:10], nodes.iloc[:10])  # compile and cache the arrays
    ours = best_of(lambda: planner.coverage(G, homes, nodes, minutes=5.0))
    cov = planner.coverage(G, homes, nodes, minutes=5.0)
    # the osmnx isochrone recipe: one ego_graph per site (timed on a sample, extrapolated)
    sample = list(G.nodes)[:: (20 if quick else 5)]
    t = time.perf_counter()
    for node in sample:
        sub = nx.ego_graph(G, node, radius=5.0, distance="minutes")
        sub.number_of_nodes()
    per_site = (time.perf_counter() - t) / len(sample)
    recipe = per_site * G.number_of_nodes()
    report["a_default_all_nodes"] = {
        "nodes": G.number_of_nodes(),
        "sites": len(nodes),
        "homes": len(homes),
        "pairs": int(cov.minutes.nnz),
        "planner_s": round(ours, 4),
        "osmnx_ego_graph_s_extrapolated": round(recipe, 2),
        "osmnx_sample_sites": len(sample),
        "ratio": round(recipe / ours, 1),
        "target_ratio": 100,
    }


def part_b(report: dict, quick: bool) -> None:
    side = 200 if quick else 400
    n_sites, n_homes = (2_500, 12_500) if quick else (10_000, 50_000)
    t = time.perf_counter()
    G = grid_network(side)
    build = time.perf_counter() - t
    sites = points_in(G, n_sites, 1, "site_id")
    homes = points_in(G, n_homes, 2, "demand_id")
    t = time.perf_counter()
    network_arrays(G)
    arrays_s = time.perf_counter() - t
    planner.coverage(G, homes.iloc[:100], sites.iloc[:100])
    tracemalloc.start()
    cov = planner.coverage(G, homes, sites, minutes=5.0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    warm = best_of(lambda: planner.coverage(G, homes, sites, minutes=5.0))
    entry = {
        "nodes": G.number_of_nodes(),
        "directed_edges": G.number_of_edges(),
        "sites": n_sites,
        "homes": n_homes,
        "pairs": int(cov.minutes.nnz),
        "graph_build_s": round(build, 2),
        "network_arrays_s_once_per_graph": round(arrays_s, 2),
        "planner_coverage_warm_s": round(warm, 3),
        "target_s": 1.0,
        "coverage_call_peak_traced_mb": round(peak / 2**20, 1),
        "dense_sites_x_nodes_would_be_mb": round(n_sites * G.number_of_nodes() * 8 / 2**20, 1),
    }
    try:
        import pandana
        import pandas as pd

        xs = np.array([d["x"] for _, d in G.nodes(data=True)])
        ys = np.array([d["y"] for _, d in G.nodes(data=True)])
        a = network_arrays(G)
        rows = np.repeat(np.arange(a.n_nodes), np.diff(a.indptr))
        keep = rows < a.indices
        net = pandana.Network(
            pd.Series(xs, index=a.node_ids),
            pd.Series(ys, index=a.node_ids),
            pd.Series(a.node_ids[rows[keep]]),
            pd.Series(a.node_ids[a.indices[keep]]),
            pd.DataFrame({"minutes": a.minutes[keep]}),
            twoway=True,
        )
        site_nodes = net.get_node_ids(sites.geometry.x, sites.geometry.y).to_numpy()
        t = time.perf_counter()
        net.nodes_in_range(list(site_nodes), 5.0, "minutes")
        pandana_s = time.perf_counter() - t
        # the same node-to-node work in our engine: sites placed on nodes, homes = all nodes
        from planner.reach.matrix import coverage_matrix
        from planner.reach.snapping import snap

        node_pts = shapely.points(xs, ys)
        posts = snap(a, node_pts[np.searchsorted(a.node_ids, site_nodes)])
        everyone = snap(a, node_pts)
        node_to_node = best_of(lambda: coverage_matrix(a, everyone, posts, 5.0))
        entry.update(
            pandana_version=pandana.__version__,
            pandana_nodes_in_range_s=round(pandana_s, 3),
            ratio_vs_pandana_whole_call=round(pandana_s / warm, 1),
            planner_node_to_node_s=round(node_to_node, 3),
            ratio_vs_pandana_node_to_node=round(pandana_s / node_to_node, 1),
            target_ratio_vs_pandana=5,
        )
    except ImportError:
        entry["pandana"] = "not installed (pip install pandana to compare)"
    report["b_synthetic_grid"] = entry
    print(json.dumps({"b_synthetic_grid": entry}, indent=2), flush=True)

    # isochrones on the same grid (the nearest-street cells are built once per network)
    t = time.perf_counter()
    _ = network_arrays(G).cells  # built here, timed alone
    cells_s = time.perf_counter() - t
    some = sites.iloc[: (200 if quick else 1000)]
    planner.isochrones(G, some.iloc[:5])
    t, cpu = time.perf_counter(), time.process_time()
    iso = planner.isochrones(G, some, minutes=5.0)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    report["c_isochrones"] = {
        "polygons": len(iso),
        "seconds": round(wall, 2),
        "cpu_seconds_all_threads": round(cpu, 2),
        "cells_once_per_network_s": round(cells_s, 2),
        "target_s_for_1000": 5.0,
    }


def part_d(report: dict, quick: bool) -> None:
    if not SHARED.exists():
        report["d_shared_extracts"] = f"skipped: {SHARED} not found"
        return
    out = {}
    names = [
        "guixi_jiangxi.osm",
        "beijing_haidian_cau.osm",
        "porto_centre.osm.pbf",
        "monaco.osm.pbf",
        "liechtenstein.osm.pbf",
    ]
    if not quick:
        names.append("porto_region_roads.osm.pbf")
    for name in names:
        path = SHARED / name
        t = time.perf_counter()
        try:
            result = planner.plan(planner.Study(source=str(path)))
            s = planner.plan_summary(result)
            out[name] = {
                "seconds_total": round(time.perf_counter() - t, 2),
                "seconds": s["seconds"],
                "nodes": s["n_network_nodes"],
                "demand": s["n_demand"],
                "demand_method": s["demand_method"],
                "candidates": s["n_candidates"],
                "stations": s["n_stations"],
                "covered_share": s["covered_share"],
            }
        except planner.PlannerError as exc:
            out[name] = {"error": str(exc), "seconds_total": round(time.perf_counter() - t, 2)}
    report["d_shared_extracts"] = out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller instances (a smoke run)")
    parser.add_argument("--parts", default="abd", help="which parts to run (a, b, d)")
    args = parser.parse_args(argv)
    report: dict = {"python": sys.version.split()[0], "planner": planner.__version__}
    for part, fn in (("a", part_a), ("b", part_b), ("d", part_d)):
        if part in args.parts:
            fn(report, args.quick)
            print(json.dumps({k: v for k, v in report.items() if k.startswith(part)}, indent=2), flush=True)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
