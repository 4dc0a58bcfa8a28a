"""Exact reductions and the sparse idioms the models share (each keeps the optimum)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from planner.reach.matrix import entries_within

__all__ = [
    "bipartite_components",
    "csr_from_triples",
    "dominated_sites",
    "first_of_runs",
    "keep_within",
    "merge_rows",
    "pattern",
    "row_groups",
    "rows_to_cover",
    "shortest_entries",
]


def csr_from_triples(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR from (row, column, value) triples with sorted indices (duplicates are summed, as scipy does)."""
    out = sp.csr_matrix((values, (rows, cols)), shape=shape)
    out.sort_indices()
    return out


def first_of_runs(*keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal consecutive keys (all keys compared)."""
    n = len(keys[0])
    first = np.ones(n, bool)
    if n > 1:
        same = np.ones(n - 1, bool)
        for key in keys:
            same &= key[1:] == key[:-1]
        first[1:] = ~same
    return first


def pattern(m: sp.spmatrix) -> sp.csr_matrix:
    """Boolean CSR with True at every stored entry (a stored 0 minutes is a covered pair)."""
    m = sp.csr_matrix(m)
    return sp.csr_matrix((np.ones(len(m.indices), bool), m.indices.copy(), m.indptr.copy()), shape=m.shape)


def keep_within(m: sp.spmatrix, r: float) -> sp.csr_matrix:
    """CSR of the stored entries of ``m`` that are ``<= r`` (minutes kept): :func:`planner.reach.matrix.entries_within`."""
    return entries_within(m, r)


def shortest_entries(matrix: sp.spmatrix) -> sp.csr_matrix:
    """CSR of a sparse cost matrix keeping the shortest of duplicate (row, col) entries.

    scipy would add duplicates up; a repeated pair means two routes, the shorter counts.
    """
    coo = sp.coo_matrix(matrix)
    order = np.lexsort((coo.data, coo.col, coo.row))
    row, col, data = coo.row[order], coo.col[order], coo.data[order].astype(float)
    first = first_of_runs(row, col)
    return sp.csr_matrix((data[first], (row[first], col[first])), shape=coo.shape)


def row_groups(matrix: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """
    Group rows with identical column sets.

    Parameters
    ----------
    matrix
        Any sparse matrix (its stored pattern counts).

    Returns
    -------
    group, first
        ``group[i]`` is row i's group (numbered by first appearance), ``first[g]``
        a representative row of group g.
    """
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    m = sp.csr_matrix(matrix)
    m.sort_indices()
    rng = np.random.default_rng(20181201)
    salt = rng.integers(1, 2**62, size=(2, m.shape[1]), dtype=np.int64).astype(np.uint64)
    lengths = np.diff(m.indptr)
    h = np.zeros((n, 2), np.uint64)
    nonempty = lengths > 0
    if m.nnz:
        starts = m.indptr[:-1][nonempty]
        for k in range(2):
            with np.errstate(over="ignore"):
                h[nonempty, k] = np.add.reduceat(
                    salt[k][m.indices] * (m.indices.astype(np.uint64) + np.uint64(1)), starts
                )
    key = np.stack([lengths.astype(np.uint64), h[:, 0], h[:, 1]], axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # number groups by first appearance, so results do not depend on hash order
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(first), np.int64)
    rank[order] = np.arange(len(first))
    return rank[inverse], first[order]


def merge_rows(rows: sp.csr_matrix, weights: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows with identical column sets merged into one, their weights summed (order of first appearance)."""
    group, first = row_groups(rows)
    merged = rows[first]
    summed = np.bincount(group, weights=weights, minlength=len(first)) if len(first) else weights[:0]
    return merged, summed


def rows_to_cover(a: sp.csr_matrix, w: np.ndarray, req: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """The rows a covering model still has to cover, identical ones merged.

    Parameters
    ----------
    a
        Rows (homes) x columns (sites) coverage pattern.
    w
        Weight of each row.
    req
        Columns that must be chosen.

    Returns
    -------
    rows, weights
        The reachable rows no column of ``req`` covers, rows with identical
        column sets merged (:func:`merge_rows`), those left with no weight dropped.
    """
    rows_idx = np.flatnonzero(np.diff(a.indptr) > 0)
    rows, rw = a[rows_idx], w[rows_idx]
    if len(req):
        pre = np.asarray(rows[:, req].sum(axis=1)).ravel() > 0
        rows, rw = rows[~pre], rw[~pre]
    rows, rw = merge_rows(rows, rw)
    positive = rw > 0
    return rows[positive], rw[positive]


def dominated_sites(a: sp.csr_matrix, keep_always: np.ndarray) -> np.ndarray:
    """Boolean per column: its rows are a subset of another column's (ties: the higher index goes)."""
    n = a.shape[1]
    if n < 2 or a.nnz == 0:
        return np.zeros(n, bool)
    col = sp.csc_matrix(a, dtype=np.int32)
    size = np.diff(col.indptr)
    overlap = (col.T @ col).tocoo()
    j, k = overlap.row, overlap.col
    off = j != k
    j, k, shared = j[off], k[off], overlap.data[off]
    subset = shared == size[j]
    # j inside k: strictly smaller, or equal sets and j has the higher index
    dominated = subset & ((size[j] < size[k]) | (j > k))
    out = np.zeros(n, bool)
    out[j[dominated]] = True
    out[size == 0] = True
    out[keep_always] = False
    return out


def bipartite_components(sub: sp.csr_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """Independent pieces of the row-column graph: their number, each row's and each column's piece."""
    graph = sp.bmat([[None, sub], [sub.T, None]], format="csr")
    n_comp, label = connected_components(graph, directed=False)
    return int(n_comp), label[: sub.shape[0]], label[sub.shape[0] :]
