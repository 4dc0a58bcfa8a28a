"""The compiled search under :func:`planner.reach.matrix.coverage`: one bounded Dijkstra per site (numba).

Each site's search starts from both ends of its street and stops at the time limit; homes are
reached from the nodes they hang off and, on the site's own street, straight along it. The
arrays are allocated once per call; what a site's search touched is reset for the next site.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["search_sites"]


@numba.njit(cache=True, nogil=True, inline="always")
def _heap_push(heap_key: np.ndarray, heap_node: np.ndarray, size: int, key: float, node: int) -> int:
    """Push ``(key, node)`` onto the binary min-heap of ``size`` entries; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap_key[parent] <= key:
            break
        heap_key[i] = heap_key[parent]
        heap_node[i] = heap_node[parent]
        i = parent
    heap_key[i] = key
    heap_node[i] = node
    return size + 1


@numba.njit(cache=True, nogil=True)
def search_sites(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    node_ptr: np.ndarray,
    node_home: np.ndarray,
    node_off: np.ndarray,
    home_access: np.ndarray,
    edge_ptr: np.ndarray,
    edge_home: np.ndarray,
    home_along: np.ndarray,
    site_u: np.ndarray,
    site_v: np.ndarray,
    site_off_u: np.ndarray,
    site_off_v: np.ndarray,
    site_access: np.ndarray,
    site_edge: np.ndarray,
    site_along: np.ndarray,
    limit: float,
    n_nodes: int,
    n_homes: int,
    col_offset: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """
    Walking minutes from each site to every home within ``limit`` (compiled; one Dijkstra per site).

    Parameters
    ----------
    indptr, indices, weights
        CSR adjacency of the network in minutes (:class:`planner.reach.arrays.NetworkArrays`).
    node_ptr, node_home, node_off
        Per node, the homes attached to it (``node_ptr`` CSR) and the minutes from the node to each.
    home_access
        Per home, the minutes between it and its street.
    edge_ptr, edge_home, home_along
        Per street, the homes on it (CSR), and each home's position along its street in minutes.
    site_u, site_v, site_off_u, site_off_v, site_access, site_edge, site_along
        Per site: its street's end nodes, the minutes to each, the minutes to its street, the street
        and its position along it (minutes).
    limit
        Walking minutes.
    n_nodes, n_homes
        Sizes of the network and of the homes.
    col_offset
        Added to each site's index in the output (the first site of a slice).

    Returns
    -------
    rows, cols, minutes
        One entry per (home, site) pair within ``limit``: home, site + ``col_offset``, minutes.
    """
    inf = np.inf
    dist = np.full(n_nodes, inf)
    best = np.full(n_homes, inf)
    touched = np.empty(n_nodes, np.int64)
    touched_homes = np.empty(n_homes, np.int64)
    heap_key = np.empty(len(indices) + 2, np.float64)
    heap_node = np.empty(len(indices) + 2, np.int64)
    cap = 1024
    out_r = np.empty(cap, np.int64)
    out_c = np.empty(cap, np.int64)
    out_v = np.empty(cap, np.float64)
    n_out = 0
    for s in range(len(site_u)):
        n_touched = 0
        n_th = 0
        size = 0
        start = site_access[s]
        for end in range(2):
            node = site_u[s] if end == 0 else site_v[s]
            d0 = start + (site_off_u[s] if end == 0 else site_off_v[s])
            if d0 <= limit and d0 < dist[node]:
                if dist[node] == inf:
                    touched[n_touched] = node
                    n_touched += 1
                dist[node] = d0
                size = _heap_push(heap_key, heap_node, size, d0, node)
        while size > 0:
            d = heap_key[0]
            u = heap_node[0]
            # pop
            size -= 1
            last_k = heap_key[size]
            last_n = heap_node[size]
            i = 0
            while True:
                child = 2 * i + 1
                if child >= size:
                    break
                if child + 1 < size and heap_key[child + 1] < heap_key[child]:
                    child += 1
                if heap_key[child] >= last_k:
                    break
                heap_key[i] = heap_key[child]
                heap_node[i] = heap_node[child]
                i = child
            heap_key[i] = last_k
            heap_node[i] = last_n
            if d > dist[u]:
                continue
            for a in range(node_ptr[u], node_ptr[u + 1]):
                h = node_home[a]
                t = d + node_off[a] + home_access[h]
                if t <= limit and t < best[h]:
                    if best[h] == inf:
                        touched_homes[n_th] = h
                        n_th += 1
                    best[h] = t
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                nd = d + weights[a]
                if nd <= limit and nd < dist[v]:
                    if dist[v] == inf:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = nd
                    size = _heap_push(heap_key, heap_node, size, nd, v)
        # homes on the site's own street may walk straight along it
        e = site_edge[s]
        for a in range(edge_ptr[e], edge_ptr[e + 1]):
            h = edge_home[a]
            t = start + abs(home_along[h] - site_along[s]) + home_access[h]
            if t <= limit and t < best[h]:
                if best[h] == inf:
                    touched_homes[n_th] = h
                    n_th += 1
                best[h] = t
        if n_out + n_th > cap:
            while n_out + n_th > cap:
                cap *= 2
            new_r = np.empty(cap, np.int64)
            new_c = np.empty(cap, np.int64)
            new_v = np.empty(cap, np.float64)
            new_r[:n_out] = out_r[:n_out]
            new_c[:n_out] = out_c[:n_out]
            new_v[:n_out] = out_v[:n_out]
            out_r, out_c, out_v = new_r, new_c, new_v
        for k in range(n_th):
            h = touched_homes[k]
            out_r[n_out] = h
            out_c[n_out] = s + col_offset
            out_v[n_out] = best[h]
            n_out += 1
            best[h] = inf
        for k in range(n_touched):
            dist[touched[k]] = inf
    return out_r[:n_out], out_c[:n_out], out_v[:n_out]
