"""Province scale: one process against a 2-worker Dask cluster, on one network, in one run.

A seeded synthetic street grid (the generator of ``bench_coverage.py``: a side x side
grid, 50 m apart, with jitter) of 1,000 x 1,000 = 1,000,000 nodes, with 50,000 candidate
sites and 500,000 homes scattered over its 50 km x 50 km. The grid's arrays are built
directly with numpy (a networkx graph of a million nodes would take minutes and
gigabytes to build and is not what is being measured); ``--check-side`` first proves on
a small grid that they equal ``planner.reach.arrays.network_arrays`` of the networkx graph
that ``bench_coverage.grid_network`` builds. Homes and sites are snapped once
(``planner.reach.snapping.snap``), then the coverage matrix (5 minutes) is computed:

- single process: ``planner.reach.matrix.coverage_matrix`` (what ``planner.reach.matrix`` runs,
  two threads on this 2-core machine);
- Dask: ``planner.distributed.coverage_matrix_dask`` on a LocalCluster of 2 worker
  processes with one thread each (what ``planner plan --engine dask`` runs).

For each it prints the wall time, the peak resident memory of every process that did
the work (``VmHWM`` from ``/proc``, reset just before), and checks that the two
matrices are identical entry by entry.

Run: python benchmarks/bench_scale.py [--side 1000 --sites 50000 --homes 500000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore")

from bench_coverage import grid_coordinates  # noqa: E402

from planner.reach.arrays import NetworkArrays, network_arrays  # noqa: E402
from planner.reach.matrix import coverage_matrix  # noqa: E402
from planner.reach.snapping import snap  # noqa: E402


def reset_peak() -> float:
    """Reset this process's peak RSS (VmHWM) to its current RSS; return the RSS in MB."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return rss_mb()["rss"]


def rss_mb() -> dict:
    """Current (VmRSS) and peak (VmHWM) resident memory of this process, MB."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key = "rss" if line.startswith("VmRSS") else "peak"
                out[key] = round(int(line.split()[1]) / 1024, 1)
    return out


def grid_arrays(side: int, spacing: float = 50.0, speed_kmh: float = 4.8, seed: int = 0) -> NetworkArrays:
    """``network_arrays(grid_network(side))`` built directly from arrays (vectorised)."""
    import scipy.sparse as sp

    x, y, u, v = grid_coordinates(side, spacing, seed)
    n = side * side
    mpm = speed_kmh * 1000 / 60
    lines = shapely.linestrings(np.stack([np.stack([x[u], y[u]], 1), np.stack([x[v], y[v]], 1)], 1))
    minutes = shapely.length(lines) / mpm
    # two-way adjacency, CSR sorted by (row, column)
    adj = sp.csr_matrix(
        (np.concatenate([minutes, minutes]), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n)
    )
    adj.sort_indices()
    # one row per street, ordered by (lower end, higher end) as network_arrays orders them
    order = np.lexsort((v, u))
    geoms = lines[order]
    return NetworkArrays(
        node_ids=np.arange(n, dtype=np.int64),
        indptr=adj.indptr.astype(np.int64),
        indices=adj.indices.astype(np.int64),
        minutes=adj.data.astype(np.float64),
        edge_u=u[order].astype(np.int64),
        edge_v=v[order].astype(np.int64),
        edge_minutes=minutes[order],
        edge_geoms=geoms,
        tree=shapely.STRtree(geoms),
        metres_per_minute=mpm,
    )


def check_grid_arrays(side: int) -> None:
    """The direct build equals ``network_arrays`` of the networkx grid of ``bench_coverage``."""
    from bench_coverage import grid_network

    ref = network_arrays(grid_network(side))
    ours = grid_arrays(side)
    for name in ("node_ids", "indptr", "indices", "minutes", "edge_u", "edge_v", "edge_minutes"):
        a, b = getattr(ref, name), getattr(ours, name)
        if not np.array_equal(a, b):
            raise SystemExit(f"grid_arrays({side}).{name} differs from network_arrays(grid_network({side}))")
    if not all(shapely.equals_exact(ref.edge_geoms, ours.edge_geoms, 0.0)):
        raise SystemExit(f"grid_arrays({side}) street geometries differ")


def scattered(arrays: NetworkArrays, n: int, seed: int) -> np.ndarray:
    """``n`` seeded points uniform over the network's extent (as ``bench_coverage.points_in``)."""
    xy = shapely.get_coordinates(arrays.edge_geoms)
    rng = np.random.default_rng(seed)
    return shapely.points(
        rng.uniform(xy[:, 0].min(), xy[:, 0].max(), n), rng.uniform(xy[:, 1].min(), xy[:, 1].max(), n)
    )


def _worker_reset():
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return rss_mb()


def _worker_warm():
    """Load the compiled search on the worker (numba's cache) before timing."""
    from planner.distributed import Tile, TileArrays, tile_task
    from planner.reach.snapping import Snapped

    one = lambda v, t=np.float64: np.array([v], dtype=t)  # noqa: E731
    s = Snapped(one(0, np.int64), one(0, np.int64), one(1, np.int64), one(0.1), one(0.1), one(0.0), one(1.0), one(0.0))
    arrays = TileArrays(
        np.array([0, 1, 2], np.int64),
        np.array([1, 0], np.int64),
        np.array([0.2, 0.2]),
        one(0, np.int64),
        one(1, np.int64),
        80.0,
    )
    tile_task(Tile(arrays, s, s, one(0, np.int64), one(0, np.int64), 5.0))
    return os.getpid()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1000, help="grid side (nodes = side^2)")
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--homes", type=int, default=500_000)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--check-side", type=int, default=40, help="grid side for the direct-build check (0: skip)")
    args = parser.parse_args(argv)
    from planner.distributed import coverage_matrix_dask, dask_client

    report: dict = {"cpus": os.cpu_count()}
    if args.check_side:
        check_grid_arrays(args.check_side)
        report["grid_arrays_equal_network_arrays_at_side"] = args.check_side
    t = time.perf_counter()
    arrays = grid_arrays(args.side)
    report["network"] = {
        "nodes": arrays.n_nodes,
        "streets": len(arrays.edge_u),
        "build_s": round(time.perf_counter() - t, 1),
    }
    site_pts, home_pts = scattered(arrays, args.sites, 1), scattered(arrays, args.homes, 2)
    t = time.perf_counter()
    posts, homes = snap(arrays, site_pts), snap(arrays, home_pts)
    report["snap_s_on_client"] = round(time.perf_counter() - t, 1)
    report["sites"], report["homes"], report["minutes"] = args.sites, args.homes, args.minutes
    print(json.dumps(report), flush=True)

    coverage_matrix(arrays, snap(arrays, home_pts[:50]), snap(arrays, site_pts[:50]), args.minutes)  # compile
    before = reset_peak()
    t = time.perf_counter()
    single = coverage_matrix(arrays, homes, posts, args.minutes)
    wall = time.perf_counter() - t
    mem = rss_mb()
    report["single_process"] = {
        "wall_s": round(wall, 2),
        "pairs": int(single.nnz),
        "threads": min(os.cpu_count() or 1, 8),
        "process_rss_before_mb": before,
        "process_peak_mb": mem["peak"],
        "peak_above_before_mb": round(mem["peak"] - before, 1),
    }
    print(json.dumps({"single_process": report["single_process"]}), flush=True)

    t = time.perf_counter()
    with dask_client(workers=args.workers) as client:
        start_s = time.perf_counter() - t
        client.run(_worker_warm)
        idle = client.run(_worker_reset)
        client_before = reset_peak()
        stats: dict = {}
        t = time.perf_counter()
        tiled = coverage_matrix_dask(
            arrays, homes, posts, args.minutes, client=client, site_xy=shapely.get_coordinates(site_pts), stats=stats
        )
        wall = time.perf_counter() - t
        peaks = client.run(rss_mb)
        client_mem = rss_mb()
    same = (
        single.shape == tiled.shape
        and np.array_equal(single.indptr, tiled.indptr)
        and np.array_equal(single.indices, tiled.indices)
        and np.array_equal(single.data, tiled.data)
    )
    workers = {}
    for i, (addr, peak) in enumerate(sorted(peaks.items())):
        workers[f"worker_{i}"] = {
            "rss_idle_mb": idle[addr]["rss"],
            "peak_mb": peak["peak"],
            "peak_above_idle_mb": round(peak["peak"] - idle[addr]["rss"], 1),
        }
    report["dask"] = {
        "workers": args.workers,
        "threads_per_worker": 1,
        "cluster_start_s": round(start_s, 1),
        "wall_s": round(wall, 2),
        "pairs": int(tiled.nnz),
        **stats,
        "per_worker": workers,
        "client_rss_before_mb": client_before,
        "client_peak_mb": client_mem["peak"],
        "client_peak_above_before_mb": round(client_mem["peak"] - client_before, 1),
    }
    report["identical_matrix"] = bool(same)
    print(json.dumps(report, indent=2))
    print()
    print(
        f"{arrays.n_nodes:,} nodes, {args.sites:,} sites, {args.homes:,} homes, {args.minutes:g} min: "
        f"{single.nnz:,} pairs; identical matrix: {same}"
    )
    print(
        f"  single process ({report['single_process']['threads']} threads): {report['single_process']['wall_s']} s, "
        f"process peak {report['single_process']['process_peak_mb']:,.0f} MB "
        f"(+{report['single_process']['peak_above_before_mb']:,.0f} MB during the call; holds the whole network)"
    )
    print(
        f"  dask, {args.workers} workers x 1 thread: {report['dask']['wall_s']} s over {stats['tiles']} tiles of "
        f"{stats['tile_m']:,.0f} m (largest {stats['max_tile_nodes']:,} nodes, {stats['max_tile_mb']} MB sent)"
    )
    for name, w in workers.items():
        print(
            f"    {name}: peak {w['peak_mb']:,.0f} MB (idle {w['rss_idle_mb']:,.0f} MB, +{w['peak_above_idle_mb']:,.0f} MB)"
        )
    print(
        f"    client: peak {client_mem['peak']:,.0f} MB (+{report['dask']['client_peak_above_before_mb']:,.0f} MB "
        "cutting tiles and merging)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
