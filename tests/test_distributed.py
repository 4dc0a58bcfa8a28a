"""Province scale on Dask: the same coverage matrix and lscp answer as one process.

A 2-worker cluster (threads, for speed; one test with worker processes) computes
the coverage tile by tile; every stored entry must equal the single-process one,
bit for bit, on the embedded default and on a synthetic "province" of towns cut
into tiles far smaller than the walk, so that most searches cross tile borders.
"""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

distributed = pytest.importorskip("distributed")

from instances import random_points, synthetic_network  # noqa: E402

import planner  # noqa: E402
from planner.cli import main  # noqa: E402
from planner.distributed import (  # noqa: E402
    coverage_dask,
    coverage_matrix_dask,
    dask_client,
    solve_dask,
)
from planner.reach.arrays import network_arrays  # noqa: E402
from planner.reach.matrix import coverage_matrix  # noqa: E402
from planner.reach.snapping import snap  # noqa: E402


def same_matrix(a, b) -> bool:
    """Same shape, same stored entries (explicit zeros included), same values."""
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
        and (a != b).nnz == 0
    )


def province(n_towns: int = 6, spacing: float = 2500.0):
    """Separate towns (random street networks) 2.5 km apart, with homes and sites in each."""
    G = nx.MultiDiGraph(crs="EPSG:32650", speed_kmh=4.8, simplified=True)
    homes: list[gpd.GeoDataFrame] = []
    sites: list[gpd.GeoDataFrame] = []
    for t in range(n_towns):
        town = synthetic_network(100 + t, 60)
        dx, dy = (t % 3) * spacing, (t // 3) * spacing
        for n, d in town.nodes(data=True):
            G.add_node(t * 1000 + n, x=d["x"] + dx, y=d["y"] + dy)
        for u, v, k, d in town.edges(keys=True, data=True):
            G.add_edge(
                t * 1000 + u,
                t * 1000 + v,
                key=k,
                **{**d, "geometry": shapely.affinity.translate(d["geometry"], dx, dy)},
            )
        for frame, n, seed, prefix, col in (
            (homes, 400, 200 + t, "h", "demand_id"),
            (sites, 40, 300 + t, "s", "site_id"),
        ):
            pts = random_points(town, n, seed, prefix)
            pts[col] = [f"{i}-t{t}" for i in pts[col]]
            frame.append(pts.set_geometry(pts.geometry.translate(dx, dy)))
    return G, pd.concat(homes, ignore_index=True), pd.concat(sites, ignore_index=True)


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def towns():
    G, homes, sites = province()
    return G, gpd.GeoDataFrame(homes, crs=G.graph["crs"]), gpd.GeoDataFrame(sites, crs=G.graph["crs"])


@pytest.mark.parametrize("tile_m", [None, 250.0, 1e9])
def test_default_data_identical_matrix(helsinki, client, tile_m):
    network, demand, sites = helsinki
    local = planner.coverage(network, demand, sites, minutes=(5, 10))
    dask = coverage_dask(network, demand, sites, minutes=(5, 10), client=client, tile_m=tile_m)
    assert local.minutes.nnz > 1000
    assert same_matrix(local.minutes, dask.minutes)
    assert dask.limits == local.limits
    assert np.array_equal(dask.demand_ids, local.demand_ids) and np.array_equal(dask.site_ids, local.site_ids)
    assert np.array_equal(dask.population, local.population)


def test_default_network_every_node_a_home_and_a_site(helsinki, client):
    network = helsinki[0]
    xy = np.array([(d["x"], d["y"]) for _, d in network.nodes(data=True)])
    nodes = gpd.GeoDataFrame(
        {"site_id": [str(n) for n in network.nodes]}, geometry=shapely.points(xy), crs=network.graph["crs"]
    )
    homes = nodes.rename(columns={"site_id": "demand_id"})
    local = planner.coverage(network, homes, nodes, minutes=5)
    dask = coverage_dask(network, homes, nodes, minutes=5, client=client, tile_m=200.0)
    assert local.minutes.nnz > 500_000
    assert same_matrix(local.minutes, dask.minutes)


@pytest.mark.parametrize("minutes", [3.0, 7.5])
def test_small_tiles_cross_borders_and_stay_exact(towns, client, minutes):
    G, homes, sites = towns
    arrays = network_arrays(G)
    h, s = snap(arrays, homes.geometry.values), snap(arrays, sites.geometry.values)
    stats: dict = {}
    tiled = coverage_matrix_dask(
        arrays,
        h,
        s,
        minutes,
        client=client,
        tile_m=120.0,
        site_xy=shapely.get_coordinates(sites.geometry.values),
        stats=stats,
    )
    whole = coverage_matrix(arrays, h, s, minutes)
    assert whole.nnz > 2000
    assert same_matrix(whole, tiled)
    # many tiles, each far smaller than the walk: nearly every search leaves its tile
    assert stats["tiles"] >= 60 and stats["tile_m"] < stats["margin_m"]
    assert stats["max_tile_nodes"] < arrays.n_nodes / 2
    assert stats["stretch"] == pytest.approx(1.0)


def test_lscp_components_as_tasks_same_answer(towns, helsinki, client):
    G, homes, sites = towns
    cov = planner.coverage(G, homes, sites, minutes=5)
    required = [3, 40, 77]
    for kwargs in ({}, {"required": required}):
        one = planner.solve(cov, model="lscp", **kwargs)
        many = solve_dask(cov, client=client, model="lscp", **kwargs)
        assert np.array_equal(one.selected, many.selected)
        assert np.array_equal(one.covered, many.covered) and np.array_equal(one.uncoverable, many.uncoverable)
        assert (one.objective, one.status, one.population_covered) == (
            many.objective,
            many.status,
            many.population_covered,
        )
        assert many.result.independent_components >= 6 and many.result.tasks >= 2
    network, demand, dsites = helsinki
    cov = planner.coverage(network, demand, dsites, minutes=5)
    assert np.array_equal(planner.solve(cov).selected, solve_dask(cov, client=client).selected)
    # p couples the components: solved on the client, same answer
    one = planner.solve(cov, model="mclp", p=4)
    assert np.array_equal(one.selected, solve_dask(cov, client=client, model="mclp", p=4).selected)


def test_local_cluster_of_processes_starts_and_stops(towns):
    G, homes, sites = towns
    local = planner.coverage(G, homes, sites, minutes=4)
    with dask_client(workers=2) as c:
        info = c.scheduler_info()
        assert len(info["workers"]) == 2
        assert all(w["nthreads"] == 1 for w in info["workers"].values())
        address = c.scheduler.address
        pids = c.run(lambda: __import__("os").getpid())
        assert len(set(pids.values())) == 2 and __import__("os").getpid() not in pids.values()
        dask = coverage_dask(G, homes, sites, minutes=4, client=c, tile_m=300.0)
    assert same_matrix(local.minutes, dask.minutes)
    assert c.status == "closed"
    with pytest.raises(planner.InputError, match="cannot connect"):
        with dask_client(address):
            pass


def test_cli_attaches_to_a_running_scheduler(tmp_path, helsinki):
    network = helsinki[0]  # the CLI loads the same embedded default
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        code = main(["plan", "--engine", "dask", "--scheduler", address, "--out", str(tmp_path), "--quiet"])
        assert code == 0
        # the work ran on that cluster, which is still up with its workers
        prefixes = set(cluster.scheduler.task_prefixes)
        assert {"tile_task", "lscp_task"} <= prefixes
        assert len(cluster.scheduler.workers) == 2
    summary = json.loads((tmp_path / "summary.json").read_text())
    _, demand, sites = helsinki
    local = planner.solve(planner.coverage(network, demand, sites, minutes=5))
    assert summary["n_stations"] == local.n_stations
    assert summary["population_covered"] == round(local.population_covered, 1)
    stations = gpd.read_file(tmp_path / "stations.geojson")
    assert sorted(stations["site_id"].astype(str)) == sorted(sites["site_id"].iloc[local.selected].astype(str))


@pytest.mark.parametrize(
    "args, words",
    [
        (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:1"], "scheduler 'tcp://127.0.0.1:1': cannot connect"),
        (["--engine", "dask", "--scheduler", "no scheduler here"], "not an address"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler and --workers need --engine dask"),
        (["--engine", "dask", "--workers", "0"], "--workers"),
    ],
)
def test_bad_scheduler_one_line(tmp_path, capsys, args, words):
    out = tmp_path / "out"
    code = main(["plan", *args, "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: ") and words in err and len(err.splitlines()) == 1
    assert "Traceback" not in err
    assert not out.exists()


def test_plan_api_rejects_unknown_engine(helsinki):
    with pytest.raises(planner.InputError, match="engine='spark'"):
        planner.plan(planner.Study(network=helsinki[0]), engine="spark")
