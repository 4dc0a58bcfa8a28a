"""Province scale: the coverage matrix and the set-covering solve on a Dask cluster.

A province has millions of homes and tens of thousands of candidate sites. This
module splits the work over ``dask.distributed`` workers (a
:class:`distributed.LocalCluster` on one machine, or any scheduler you point it at)
and gives back exactly what the single-process functions give.

Coverage (:func:`coverage_dask`)
    Homes and sites are snapped to their nearest street once, on the client, over
    the whole network (cheap, and the only place where the whole network is
    needed). Sites are then grouped into square tiles by their coordinates. Each
    tile becomes one task that receives only its *subnetwork*: the nodes inside
    the bounding box of every place its sites can walk to (see below), the CSR
    adjacency among them, the homes attached to those nodes or sharing a street
    with one of the tile's sites (with their snapped positions, re-indexed), and
    the tile's sites. The task runs the same compiled search as
    :func:`planner.reach.matrix` (:func:`planner.reach.matrix.coverage_matrix`) and
    returns sparse ``(row, column, minutes)`` triples in global indices, which
    the client merges into the :class:`~planner.reach.matrix.Coverage` matrix.

Why the subnetwork is exact
    Let ``k`` be the largest ratio, over all streets of the adjacency, of the
    straight distance between a street's two end nodes to its walking metres
    (``k = 1`` on a network built by :func:`planner.load_network`, whose minutes
    are measured on the street geometry; ``k`` is computed, not assumed). A site's
    search starts at an end node ``e`` of its street with ``d0`` minutes already
    walked; any node it reaches within the limit ``L`` lies within
    ``k * (L - d0) * metres_per_minute`` metres, in a straight line, of ``e``
    (each street walked is at least its straight length over ``k``). The tile's box is
    the union of these discs (plus a millimetre-scale rounding allowance), so
    every node within ``L`` minutes of a tile's site, and every node on its
    shortest path, is inside the box. Distances in the induced subgraph can only
    be longer than in the whole network, and are equal for every node within the
    limit, so the search finds the same nodes with the same minutes (bit for
    bit: the same additions in the same order) and the same homes. Tests compare
    the merged matrix with :func:`planner.reach.matrix` entry by entry.

Optimisation (:class:`DaskExecutor`, :func:`solve_dask`)
    :func:`planner.solve` makes its exact reductions on the client; ``lscp`` then
    splits into independent components (homes and sites joined by coverage), which
    an executor packs into a few batches of whole components, each batch one task
    solving its components one by one, exactly as a single-process solve does
    (``solve(..., executor=DaskExecutor(client))``): the selected sites are the
    same. ``--time-limit`` applies to each task. Models where ``p`` or a budget
    couples the components (``mclp``, ``pmedian``, ``pcenter``, ``budget``,
    ``backup``, ``pdispersion``, capacitated models) are solved on the client with
    :func:`planner.solve`.

What is sent to workers
    Plain numpy arrays only (no networkx graph, no geometries): per tile the
    subgraph's CSR adjacency, the local street ends, and the snapped homes and
    sites (street, end nodes, minutes to each end, access minutes); per
    optimisation batch a sparse minutes block with weights. Each payload is
    scattered to one worker, used by one task and released; nothing else is
    broadcast. Workers need ``station-planner`` installed (same version) to
    import the task functions.
"""

from planner.distributed.cluster import (
    CONNECT_TIMEOUT_S,
    ENGINES,
    INLINE_BYTES,
    TASKS_PER_WORKER,
    DaskExecutor,
    dask_client,
    solve_dask,
)
from planner.distributed.tiles import (
    MAX_TILE_MARGINS,
    MIN_TILE_MARGINS,
    Tile,
    TileArrays,
    coverage_dask,
    coverage_matrix_dask,
    default_tile_m,
    node_xy,
    stretch,
    tile_sites,
    tile_task,
)

__all__ = [
    "CONNECT_TIMEOUT_S",
    "ENGINES",
    "INLINE_BYTES",
    "MAX_TILE_MARGINS",
    "MIN_TILE_MARGINS",
    "TASKS_PER_WORKER",
    "DaskExecutor",
    "Tile",
    "TileArrays",
    "coverage_dask",
    "coverage_matrix_dask",
    "dask_client",
    "default_tile_m",
    "node_xy",
    "solve_dask",
    "stretch",
    "tile_sites",
    "tile_task",
]
