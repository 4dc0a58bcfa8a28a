"""planner.coverage against an independent networkx Dijkstra on the same graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from instances import network_instance, random_points, synthetic_network
from reference import walking_minutes

import planner
from planner import InputError

DATA = Path(__file__).resolve().parents[1] / "data"


def assert_matches(cov_matrix: sp.csr_matrix, expected: dict, limit: float) -> None:
    coo = cov_matrix.tocoo()
    got = {(int(i), int(j)): float(v) for i, j, v in zip(coo.row, coo.col, coo.data)}
    # every pair the reference finds within the limit is there, with the same minutes
    for pair, t in expected.items():
        if t <= limit - 1e-9:
            assert pair in got, f"pair {pair} at {t:.6f} min missing"
        if pair in got:
            assert got[pair] == pytest.approx(t, abs=1e-6), pair
    # and nothing else: every stored pair is within the limit by the reference too
    for pair, t in got.items():
        assert t <= limit + 1e-12
        assert pair in expected, f"pair {pair} at {t:.6f} min not reachable by the reference"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_graphs_match_networkx(seed):
    G = synthetic_network(seed)
    homes = random_points(G, 60, seed + 100, "h")
    sites = random_points(G, 25, seed + 200, "s")
    limit = 6.0
    cov = planner.coverage(G, homes, sites, minutes=limit, max_snap_m=np.inf)
    expected = walking_minutes(G, homes, sites, limit)
    assert len(expected) > 50  # the instance is not trivially empty
    assert_matches(cov.minutes, expected, limit)
    # by default a point farther than 250 m from every street (by shapely, over every
    # street) walks to nowhere: its row or column is empty, the rest is unchanged
    streets = [d["geometry"] for _, _, d in G.edges(data=True)]
    gap_h = np.array([min(line.distance(pt) for line in streets) for pt in homes.geometry])
    gap_s = np.array([min(line.distance(pt) for line in streets) for pt in sites.geometry])
    assert (gap_h > 250).any()  # every seed has such homes (1-2 of 60)
    near = {pair: t for pair, t in expected.items() if gap_h[pair[0]] <= 250 and gap_s[pair[1]] <= 250}
    assert_matches(planner.coverage(G, homes, sites, minutes=limit).minutes, near, limit)


def test_default_network_matches_networkx(helsinki):
    G, demand, sites = helsinki
    cov = planner.coverage(G, demand, sites, minutes=5.0)
    expected = walking_minutes(G, demand, sites, 5.0)
    assert cov.minutes.nnz == len(expected)
    assert_matches(cov.minutes, expected, 5.0)


def test_several_limits_are_filters_of_one_search(helsinki):
    G, demand, sites = helsinki
    rings = planner.coverage(G, demand, sites, minutes=(15, 5, 10))
    assert rings.limits == (5.0, 10.0, 15.0)
    for m in (5.0, 10.0, 15.0):
        single = planner.coverage(G, demand, sites, minutes=m)
        assert (rings.within(m) != single.within()).nnz == 0
        assert np.allclose(np.sort(single.minutes.data), np.sort(rings.minutes.data[rings.minutes.data <= m]))
    assert rings.within(5).nnz < rings.within(10).nnz < rings.within(15).nnz


def test_memory_is_proportional_to_pairs(helsinki):
    G, demand, sites = helsinki
    cov = planner.coverage(G, demand, sites, minutes=5.0)
    assert sp.isspmatrix_csr(cov.minutes)
    assert cov.minutes.shape == (len(demand), len(sites))
    m = cov.minutes
    # only the pairs within the walk are stored, each once: no padding, nothing beyond the limit
    assert m.data.size == m.indices.size == m.nnz
    assert (m.data >= 0).all() and (m.data <= 5.0).all()
    assert m.data.nbytes + m.indices.nbytes + m.indptr.nbytes <= 16 * m.nnz + 8 * (m.shape[0] + 1)
    assert m.nnz < 0.5 * len(demand) * len(sites)


def test_same_place_costs_the_walk_to_the_street_and_back():
    G = synthetic_network(7)
    homes = random_points(G, 12, 1, "h")
    sites = homes.rename(columns={"demand_id": "site_id"})
    cov = planner.coverage(G, homes, sites, minutes=5.0)
    lines = [d["geometry"] for _, _, d in G.edges(data=True)]
    to_street = np.array([min(line.distance(p) for line in lines) for p in homes.geometry])
    mpm = 4.8 * 1000 / 60
    expected = 2 * to_street / mpm
    diag = cov.minutes.diagonal()
    assert np.allclose(diag, expected, atol=1e-9)
    # points on a street or a node are 0 minutes apart, stored explicitly
    on = to_street < 1e-9
    assert on.sum() >= 3
    assert cov.within(5.0).diagonal()[on].all()


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "abc", ()])
def test_bad_minutes(helsinki, bad):
    G, demand, sites = helsinki
    with pytest.raises(InputError, match="minutes"):
        planner.coverage(G, demand, sites, minutes=bad)


# --------------------------------------------------------------------------- the sample files


def test_sample_existing_stations_reach_residents(default_network):
    """Each sample station serves residents within 5 and 15 minutes.

    Station 2 used to snap onto a two-junction footway cut off from the rest;
    station 1's nearest homes are reached over shared foot and cycle paths
    (highway=cycleway, foot=designated) that pyrosm's walking filter drops (see
    data/README.md).
    """
    G = default_network
    homes = planner.load_demand(network=G)
    stations = planner.load_candidates(DATA / "sample_existing.csv", network=G, existing=True)
    assert len(stations) == 2
    cov = planner.coverage(G, homes, stations, minutes=(5, 15))
    served = {
        limit: dict(zip(stations["name"], np.asarray(cov.within(limit).T @ cov.population).ravel()))
        for limit in (5, 15)
    }
    assert all(value > 0 for value in served[15].values()), served
    assert served[5]["Existing station 2"] > 0, served
    assert served[5]["Existing station 1"] > 1000, served


# --------------------------------------------------------------------------- properties on random networks


def _pairs(cov) -> dict[tuple[int, int], float]:
    """The stored (home row, site row): minutes of a coverage."""
    m = cov.minutes.tocoo()
    return {(int(i), int(j)): float(v) for i, j, v in zip(m.row, m.col, m.data)}


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), m1=st.floats(0.5, 10.0), extra=st.floats(0.1, 10.0))
def test_coverage_is_monotone_in_minutes(seed, m1, extra):
    G, homes, sites = network_instance(seed)
    m2 = m1 + extra
    short = _pairs(planner.coverage(G, homes, sites, minutes=m1))
    long = _pairs(planner.coverage(G, homes, sites, minutes=m2))
    assert set(short) <= set(long)
    for pair, minutes in short.items():
        assert minutes <= m1 + 1e-9
        assert long[pair] == pytest.approx(minutes, abs=1e-9)
    # and nothing the longer search found within m1 was missed by the shorter one
    assert {p for p, v in long.items() if v < m1 - 1e-9} <= set(short)
