"""Seeded instances for ``bench_optimize.py``: two families of homes x sites minute matrices.

``sparse`` -- homes and sites uniform in a square (the issue-14 calibration): with the
default ``k = 1.5`` sites within reach of a point, most homes have one site or none.

``compounds`` -- homes cluster in compounds and candidate sites cluster around the same
compounds (a town where every property room, park and square is a candidate): a home
reaches about 3.8 sites on average, and the weights are all distinct.

Both: a home is covered by a site when Euclidean distance / (80 m per minute) <= 5
minutes (400 m); the sparse minutes matrix comes from
``scipy.spatial.cKDTree.sparse_distance_matrix`` (never dense). For lscp the instance
is the homes with at least one site in reach; mclp uses every home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

SPEED = 80.0  # metres per minute
RADIUS = 5.0  # minutes
REACH_M = SPEED * RADIUS  # 400 m
FAMILIES = ("sparse", "compounds")
SITES_PER_COMPOUND = 4.5
HOME_SPREAD_M = 150.0
SITE_SPREAD_M = 200.0
COMPOUND_DENSITY = 0.5  # sites within 400 m of a point, were the sites uniform


@dataclass
class Instance:
    """One seeded instance; ``minutes`` is CSR (homes x sites) holding minutes <= RADIUS."""

    name: str
    family: str
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


def pattern(m: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)


def _finish(family: str, p: int, side: float, homes, sites, weights) -> Instance:
    n_homes, n_sites = len(homes), len(sites)
    coo = cKDTree(homes).sparse_distance_matrix(cKDTree(sites), REACH_M, output_type="coo_matrix")
    minutes = coo.data / SPEED
    keep = minutes <= RADIUS
    m = sp.csr_matrix((minutes[keep], (coo.row[keep], coo.col[keep])), shape=(n_homes, n_sites))
    m.sort_indices()
    rows = np.flatnonzero(np.diff(m.indptr) > 0)
    lm = sp.csr_matrix(m[rows])
    lm.sort_indices()
    name = f"{n_homes}x{n_sites}" if family == "sparse" else f"{n_homes}x{n_sites}-{family}"
    return Instance(
        name=name,
        family=family,
        n_homes=n_homes,
        n_sites=n_sites,
        p=p,
        side_m=side,
        minutes=m,
        weights=weights,
        lscp_rows=rows,
        lscp_minutes=lm,
        lscp_weights=weights[rows],
    )


def make_sparse(n_homes: int, n_sites: int, p: int, sites_per_home: float = 1.5) -> Instance:
    """``rng = default_rng([20240611, H, S])``; homes, then sites, uniform in [0, L]^2 with
    ``L = sqrt(S * pi * 400^2 / k)`` (``k`` sites within 400 m of a point on average);
    then the weights ``rng.integers(1, 51, H)`` (1..50 residents)."""
    rng = np.random.default_rng([20240611, n_homes, n_sites])
    side = math.sqrt(n_sites * math.pi * REACH_M**2 / sites_per_home)
    homes = rng.uniform(0.0, side, size=(n_homes, 2))
    sites = rng.uniform(0.0, side, size=(n_sites, 2))
    weights = rng.integers(1, 51, size=n_homes).astype(float)
    return _finish("sparse", p, side, homes, sites, weights)


def make_compounds(n_homes: int, n_sites: int, p: int) -> Instance:
    """``rng = default_rng([20240611, 2, H, S])``; ``C = round(S / 4.5)`` compound centres
    uniform in [0, L]^2 with ``L = sqrt(S * pi * 400^2 / 0.5)``; each home at a random
    compound's centre plus normal noise (sd 150 m per axis), each site at a random
    compound's centre plus normal noise (sd 200 m); weights ``1 + 49 * perm(H) / H``
    (``perm``: a random permutation of 0..H-1), all distinct, in [1, 50)."""
    rng = np.random.default_rng([20240611, 2, n_homes, n_sites])
    side = math.sqrt(n_sites * math.pi * REACH_M**2 / COMPOUND_DENSITY)
    centres = rng.uniform(0.0, side, size=(max(1, round(n_sites / SITES_PER_COMPOUND)), 2))
    homes = centres[rng.integers(0, len(centres), n_homes)] + rng.normal(0.0, HOME_SPREAD_M, (n_homes, 2))
    sites = centres[rng.integers(0, len(centres), n_sites)] + rng.normal(0.0, SITE_SPREAD_M, (n_sites, 2))
    weights = 1.0 + 49.0 * rng.permutation(n_homes) / n_homes
    return _finish("compounds", p, side, homes, sites, weights)


def make_instance(family: str, n_homes: int, n_sites: int, p: int, sites_per_home: float = 1.5) -> Instance:
    if family == "sparse":
        return make_sparse(n_homes, n_sites, p, sites_per_home)
    if family == "compounds":
        return make_compounds(n_homes, n_sites, p)
    raise ValueError(f"family={family!r}: expected one of {', '.join(FAMILIES)}")


def distinct_sets(m: sp.csr_matrix) -> int:
    """Number of distinct site sets among the rows (an empty row counts as one set)."""
    ind, ptr = m.indices, m.indptr
    return len({ind[a:b].tobytes() for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist())})


def describe(inst: Instance) -> dict:
    per_home = np.diff(inst.minutes.indptr)
    return {
        "instance": inst.name,
        "family": inst.family,
        "homes": inst.n_homes,
        "sites": inst.n_sites,
        "p": inst.p,
        "side_m": round(inst.side_m, 1),
        "pairs_within_5_min": int(inst.minutes.nnz),
        "mean_sites_per_home": round(float(per_home.mean()), 2),
        "homes_with_one_site": int((per_home == 1).sum()),
        "homes_unreachable_dropped_for_lscp": int(inst.n_homes - len(inst.lscp_rows)),
        "distinct_coverage_sets": distinct_sets(inst.minutes),
        "distinct_coverage_sets_lscp": distinct_sets(inst.lscp_minutes),
        "population": float(inst.weights.sum()),
    }
