"""Stage 3: who reaches what on foot.

:func:`coverage` gives the sparse homes x sites matrix of walking minutes within the limit (and any longer
limits asked for, from one search); :func:`isochrones` draws each site's walking area; :func:`evaluate`
scores any set of stations on a coverage.

The modules, by idea:

- :mod:`~planner.reach.matrix`: :class:`Coverage` and :func:`coverage` (one bounded Dijkstra per site, compiled in
  :mod:`~planner.reach.dijkstra`);
- :mod:`~planner.reach.walk_areas`: :func:`isochrones`, drawn from the reached streets (:mod:`~planner.reach.drawing`);
- :mod:`~planner.reach.evaluation`: :func:`evaluate`, the figures of any station set;
- :mod:`~planner.reach.unreachable`: why a home no candidate reaches is left out;
- :mod:`~planner.reach.arrays`: the adjacency and street tables (``NetworkArrays``, cached per graph) and the
  short pieces of the streets;
- :mod:`~planner.reach.segments`: the straight segments of the streets (below both arrays and cells);
- :mod:`~planner.reach.snapping`: points attached to their nearest street, far points set aside, datum checks;
- :mod:`~planner.reach.cells`: the nearest-segment and nearest-street cells that isochrones clip to.
"""

from planner.reach.evaluation import Evaluation, evaluate
from planner.reach.matrix import Coverage, coverage, nearest_among, nearest_entries, within
from planner.reach.unreachable import diagnose_unreachable
from planner.reach.walk_areas import isochrones

__all__ = [
    "Coverage",
    "Evaluation",
    "coverage",
    "diagnose_unreachable",
    "evaluate",
    "isochrones",
    "nearest_among",
    "nearest_entries",
    "within",
]
