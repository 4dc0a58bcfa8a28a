"""The what-if map: planners add and remove stations in the browser and see the coverage change, offline.

The page carries the plan's sparse coverage compactly (typed arrays, base64 of little-endian bytes, in CSR
form), every site's walking area (simplified) and its own script (``whatif.js``, no framework, no network).
The script keeps the same figures as :func:`planner.evaluate` for the stations chosen and exposes them as
``window.stationPlanner`` (``toggle(site_id)``, ``reset()``, ``state()``, ``marginal(site_id)``, ``status(site_id)``,
``sites()``, ``where(site_id)``). Homes and sites are drawn on two canvases (one DOM marker per site cost more per
frame than the update itself). With areas (``--areas``) the page also carries each home's area and recolours the map's
areas layer (:func:`planner.outputs.maps.layers.area_layer`) on every click, as ``state().areas``.

Each home's entries are stored nearest first (by minutes, then by column), so the script assigns a home
to the first chosen site of its row: ties go to the lowest column, as in Python.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.resources
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.template import Template

from planner.errors import InputError
from planner.outputs.maps.elements import Areas
from planner.outputs.maps.gcj02 import to_map_datum
from planner.outputs.maps.labels import legend_item
from planner.outputs.maps.style import AREA_STEPS, COLOURS, MapStyle
from planner.reach.matrix import Coverage, entries_within
from planner.text import words as phrases

if TYPE_CHECKING:
    from planner.result import Plan

__all__ = ["AREA_TOLERANCE_M", "WhatIf", "whatif_inputs", "whatif_payload", "whatif_script"]

#: the walking areas are simplified with this tolerance in metres (GEOS' topology-preserving Douglas-Peucker; an
#: outline may move a little more than this, 5.7 m for 4 m in the tests) to keep the page small
AREA_TOLERANCE_M = 4.0

_STYLE = """
#planner-whatif {{ max-width: 330px; }}
#planner-whatif .planner-wi-list {{ max-height: 32vh; overflow-y: auto; margin-top: 4px; contain: content; }}
#planner-whatif td.planner-wi-num {{ text-align: right; white-space: nowrap; }}
#planner-whatif button {{ font: inherit; margin: 4px 4px 0 0; cursor: pointer; }}
"""

#: colour of a station the planner added
ADDED = "#fd8d3c"


@dataclass(frozen=True)
class WhatIf:
    """
    What the what-if page carries (plain data; :func:`whatif_inputs` builds it from a plan).

    Attributes
    ----------
    coverage
        Walking minutes, homes (the map's demand rows) x sites.
    minutes
        The walk.
    sites
        One row per coverage column: ``site_id``, ``name``, ``existing`` (bool), point geometry (any CRS).
    proposed
        Columns of the proposed plan's stations (existing ones included).
    areas
        One walking area per site, in the order of ``sites`` (any CRS; empty where a site reaches nothing).
    area_names
        With areas (``--areas``): the rows of the plan's area table (``areas.csv``), in its order, the homes
        outside every area (:data:`planner.demand.areas.OUTSIDE`) last when there are any; else empty.
    home_area
        Per home, its row in ``area_names`` (-1: none); empty without areas.
    area_polygon
        Per row of ``area_names``, its place among the polygons the map's areas layer draws (``plan_map``'s
        ``areas`` less those without a geometry, in order); -1 for a row drawn by none (the homes outside).
    """

    coverage: Coverage
    minutes: float
    sites: gpd.GeoDataFrame
    proposed: np.ndarray
    areas: gpd.GeoDataFrame
    area_names: tuple[str, ...] = ()
    home_area: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    area_polygon: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def whatif_inputs(plan: Plan) -> WhatIf:
    """
    The what-if data of a plan: its coverage, its sites and the walking area of every site, chosen or not.

    The walking areas are :attr:`planner.Plan.site_isochrones` (the chosen stations' are the plan's own; no
    walk is computed here). With areas, the homes' areas (``area``)
    and the rows of :attr:`~planner.Plan.area_table`, for the page to recolour :attr:`~planner.Plan.areas`.

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    WhatIf
    """
    sites = plan.sites
    return WhatIf(
        coverage=plan.coverage,
        minutes=plan.minutes,
        sites=sites[["site_id", "name", "existing", "geometry"]],
        proposed=np.asarray(plan.solution.selected, dtype=np.int64),
        areas=plan.site_isochrones,
        **_plan_areas(plan),
    )


def _plan_areas(plan: Plan) -> dict[str, Any]:
    """``area_names``, ``home_area`` and ``area_polygon`` of :class:`WhatIf` for a plan (nothing without areas)."""
    if plan.area_table is None or "area" not in plan.demand:
        return {}
    names = plan.area_table["area"].astype(str).tolist()
    home_area = _first_place(names, plan.demand["area"].astype(str))
    drawn: list[str] = []
    if plan.areas is not None:
        geoms = np.asarray(plan.areas.geometry.values)
        drawn = plan.areas["area"].astype(str)[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))].tolist()
    polygon = _first_place(drawn, pd.Series(names))
    return {"area_names": tuple(names), "home_area": home_area, "area_polygon": polygon}


def _first_place(names: list[str], values: pd.Series) -> np.ndarray:
    """Per value, the place of its first occurrence in ``names`` (-1 where it has none)."""
    index = pd.Index(names, dtype=object)
    first = pd.Series(np.arange(len(names)), index=index)[~index.duplicated()]
    return first.reindex(values.to_numpy(object)).fillna(-1).to_numpy(np.int64)


def _b64(values: Any, dtype: str) -> str:
    """``values`` as little-endian bytes of ``dtype`` (``<i4``, ``<u2``, ``<f4``, ``<f8``, ``u1``), base64."""
    return base64.b64encode(np.ascontiguousarray(np.asarray(values).astype(dtype)).tobytes()).decode("ascii")


def _micro(degrees: np.ndarray) -> str:
    """Degrees as whole micro-degrees (about 0.1 m), little-endian Int32, base64."""
    return _b64(np.round(np.asarray(degrees, float) * 1e6), "<i4")


def _rows(coverage: Coverage, minutes: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``indptr``, ``indices``, ``minutes`` of the pairs within the walk, each row nearest first (then by column)."""
    m = entries_within(coverage.minutes, minutes)
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    order = np.lexsort((m.indices, m.data, rows))
    return m.indptr, m.indices[order], m.data[order]


def _rings(areas: gpd.GeoDataFrame, gcj02: bool) -> dict[str, str]:
    """The walking areas as rings: per site a range of rings, per ring a range of points and a hole flag."""
    shapes = areas.to_crs("EPSG:4326") if areas.crs is not None else areas.set_crs("EPSG:4326")
    if len(shapes) and not shapes.geometry.is_empty.all():
        local = shapes.estimate_utm_crs()
        simple = shapes.to_crs(local).simplify(AREA_TOLERANCE_M, preserve_topology=True)
        shapes = gpd.GeoDataFrame(geometry=simple.values, crs=local)
    shapes = to_map_datum(shapes, gcj02)
    parts, site_of = shapely.get_parts(shapes.geometry.values, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    parts, site_of = parts[keep], site_of[keep]
    rings, part_of = shapely.get_rings(parts, return_index=True)
    hole = np.r_[False, part_of[1:] == part_of[:-1]] if len(rings) else np.zeros(0, bool)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    last = np.r_[ring_of[1:] != ring_of[:-1], True] if len(xy) else np.zeros(0, bool)
    xy, ring_of = xy[~last], ring_of[~last]  # a ring's closing point repeats its first
    site_ptr = np.searchsorted(site_of[part_of], np.arange(len(shapes) + 1))
    ring_ptr = np.searchsorted(ring_of, np.arange(len(rings) + 1))
    return {
        "area_site_ptr": _b64(site_ptr, "<i4"),
        "area_ring_ptr": _b64(ring_ptr, "<i4"),
        "area_hole": _b64(hole, "u1"),
        "area_lat": _micro(xy[:, 1]),
        "area_lon": _micro(xy[:, 0]),
    }


def whatif_payload(
    whatif: WhatIf, demand: gpd.GeoDataFrame, *, gcj02: bool = False, lang: str = "en"
) -> dict[str, Any]:
    """
    The data the page's script reads (JSON-safe: numbers, text, base64 of little-endian typed arrays).

    Parameters
    ----------
    whatif
        The coverage, sites, proposed stations and walking areas.
    demand
        The homes (the coverage's rows) with ``population``.
    gcj02
        Draw in GCJ-02 (Gaode's tiles); the downloads keep WGS-84.
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    dict
        Homes (``home_lat``, ``home_lon``: micro-degrees, Int32; ``home_pop``: Float64), the pairs within the walk in
        CSR form (``indptr``: Int32, ``indices``: Uint16 below 65,536 sites else Int32, ``walk``: minutes, Float32),
        the sites (``site_id``, ``name``, ``site_lat`` / ``site_lon`` in 1e-7 degrees, ``map_lat`` / ``map_lon``,
        ``existing`` and ``proposed`` flags), the walking areas (:func:`_rings`), the areas of ``--areas``
        (``area_name``; ``home_area``: Int32, -1 for none; ``area_polygon``: the drawn polygon of each, -1 for none;
        ``area_steps``: the colour scale of :data:`planner.outputs.maps.style.AREA_STEPS`) and the labels.

    Raises
    ------
    InputError
        ``demand``, ``sites`` or ``areas`` not matching the coverage's shape, a ``proposed`` column out of range,
        ``home_area`` or ``area_polygon`` not one per home / area name or naming a row out of range.
    """
    cov = whatif.coverage
    n_homes, n_sites = cov.shape
    if len(demand) != n_homes or len(whatif.sites) != n_sites or len(whatif.areas) != n_sites:
        raise InputError(
            f"what-if: {len(demand)} homes, {len(whatif.sites)} sites and {len(whatif.areas)} walking areas "
            f"for a coverage of {n_homes} homes x {n_sites} sites; expected the same counts"
        )
    proposed = np.zeros(n_sites, bool)
    cols = np.asarray(whatif.proposed, dtype=np.int64)
    if len(cols) and (cols.min() < 0 or cols.max() >= n_sites):
        raise InputError(f"what-if: proposed column {int(cols.max())} out of range; expected 0 to {n_sites - 1}")
    proposed[cols] = True
    home_area, area_polygon = _check_areas(whatif, n_homes)
    indptr, indices, walk = _rows(cov, whatif.minutes)
    homes = to_map_datum(demand, gcj02)
    sites = to_map_datum(whatif.sites, False)
    drawn = to_map_datum(whatif.sites, gcj02)
    words, t = phrases(lang, "whatif"), phrases(lang, "map")
    return {
        "lang": lang,
        "minutes": float(whatif.minutes),
        "n_homes": n_homes,
        "n_sites": n_sites,
        "home_lat": _micro(homes.geometry.y.to_numpy()),
        "home_lon": _micro(homes.geometry.x.to_numpy()),
        "home_pop": _b64(np.asarray(cov.population, float), "<f8"),
        "indptr": _b64(indptr, "<i4"),
        "index_type": "u16" if n_sites <= 65536 else "i32",
        "indices": _b64(indices, "<u2" if n_sites <= 65536 else "<i4"),
        "walk": _b64(walk, "<f4"),
        "site_id": sites["site_id"].astype(str).tolist(),
        "name": sites["name"].astype(str).tolist(),
        "site_lat": _b64(np.round(sites.geometry.y.to_numpy() * 1e7), "<i4"),
        "site_lon": _b64(np.round(sites.geometry.x.to_numpy() * 1e7), "<i4"),
        "map_lat": _micro(drawn.geometry.y.to_numpy()),
        "map_lon": _micro(drawn.geometry.x.to_numpy()),
        "existing": _b64(sites["existing"].to_numpy(bool), "u1"),
        "proposed": _b64(proposed, "u1"),
        **_rings(whatif.areas, gcj02),
        "area_name": list(whatif.area_names),
        "home_area": _b64(home_area, "<i4"),
        "area_polygon": area_polygon.tolist(),
        "area_steps": [[lo, colour] for lo, colour in AREA_STEPS],
        "labels": {
            **words,
            "walk_layer": words["walk_layer"].format(minutes=whatif.minutes),
            **{key: t[key] for key in ("area_name", "area_covered", "area_share")},
            "area_population": t["population"],
        },
        "colours": {
            **{k: COLOURS[k] for k in ("covered", "uncovered", "proposed", "existing", "candidate")},
            "added": ADDED,
            "area": COLOURS["proposed"],
            "area_missing": COLOURS["area_missing"],
        },
    }


def _check_areas(whatif: WhatIf, n_homes: int) -> tuple[np.ndarray, np.ndarray]:
    """``home_area`` (one per home, or none at all without areas) and ``area_polygon``, checked."""
    n_areas = len(whatif.area_names)
    home_area = np.asarray(whatif.home_area, dtype=np.int64)
    polygon = np.asarray(whatif.area_polygon, dtype=np.int64)
    if not n_areas and not len(home_area) and not len(polygon):
        return home_area, polygon
    problems = []
    if len(home_area) != n_homes:
        problems.append(f"{len(home_area)} home areas for {n_homes} homes")
    elif len(home_area) and (home_area.min() < -1 or home_area.max() >= n_areas):
        problems.append(f"a home area out of range (expected -1 to {n_areas - 1})")
    if len(polygon) != n_areas:
        problems.append(f"{len(polygon)} area polygons for {n_areas} area names")
    drawn = polygon[polygon >= 0]
    if len(np.unique(drawn)) != len(drawn):
        problems.append("two areas with the same polygon")
    if problems:
        raise InputError(f"what-if areas: {'; '.join(problems)}; expected them as whatif_inputs(plan) makes them")
    return home_area, polygon


@functools.lru_cache(maxsize=1)
def whatif_script() -> str:
    r"""The page's script (``whatif.js``, package data), safe to inline in a ``<script>`` element.

    ``</script`` would end the element and ``<!--`` could make the parser skip past its end: both get a backslash
    (``<\/``, ``<\!--``: the same text in a JavaScript string, where alone ``whatif.js`` may hold them).
    """
    text = importlib.resources.files("planner.outputs.maps").joinpath("whatif.js").read_text(encoding="utf-8")
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")


class _WhatIfScript(MacroElement):
    """Starts the what-if script on the map; adds a metric scale.

    The script gets its data, its three layers and the map's areas layer (if any).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
            window.stationPlanner = window.StationPlannerWhatIf({{ this._parent.get_name() }}, {{ this.data }}, {
                sites: {{ this.groups[0].get_name() }},
                walk: {{ this.groups[1].get_name() }},
                homes: {{ this.groups[2].get_name() }}{% if this.areas %},
                areas: {{ this.areas.get_name() }}{% endif %}
            });
        {% endmacro %}
        """
    )

    def __init__(
        self, data: dict[str, Any], groups: list[folium.FeatureGroup], areas: folium.FeatureGroup | None = None
    ) -> None:
        super().__init__()
        self._name = "PlannerWhatIf"
        self.groups = groups
        self.areas = areas
        # compact JSON, with what could end the script element, be read as markup or open a template literal escaped
        self.data = (
            json.dumps(data, separators=(",", ":"), allow_nan=False)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("'", "\\u0027")
            .replace("`", "\\u0060")
            .replace("$", "\\u0024")
        )


def whatif_layers(fmap: folium.Map, style: MapStyle, whatif: WhatIf, demand: gpd.GeoDataFrame) -> None:
    """The what-if layers (sites, walking areas, homes: filled by the script), its script, CSS and panel.

    The map's areas layer (drawn before) is handed to the script, which recolours it on every click.
    """
    data = whatif_payload(whatif, demand, gcj02=style.gcj02, lang=style.lang)
    area_group = _area_group(fmap, data["area_polygon"])
    fmap.control_scale = False  # the script adds a metric scale: planners measure in metres, in either language
    words = data["labels"]
    groups = [
        folium.FeatureGroup(name=html.escape(words[key]), show=True)
        for key in ("sites_layer", "walk_layer", "homes_layer")
    ]
    for group in groups:
        group.add_to(fmap)
    _WhatIfScript(data, groups, area_group).add_to(fmap)
    root = cast(Figure, fmap.get_root())
    css = _STYLE.format(added=ADDED, **COLOURS)
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="planner_whatif_style")
    root.header.add_child(
        folium.Element(f"<script>/* Station Planner what-if */\n{whatif_script()}</script>"), name="planner_whatif_js"
    )
    root.html.add_child(
        folium.Element(
            '<div id="planner-whatif" class="planner-panel" style="position:fixed;top:12px;left:56px;z-index:1000">'
            "</div>"
        ),
        name="planner_whatif_panel",
    )


def _area_group(fmap: folium.Map, area_polygon: list[int]) -> folium.FeatureGroup | None:
    """The map's areas layer (a group holding :class:`~planner.outputs.maps.elements.Areas`), if any.

    Checked against the what-if data: the page can recolour the polygons only when it knows which homes each holds.
    """
    for group in fmap._children.values():
        if not isinstance(group, folium.FeatureGroup):
            continue
        shapes = [c for c in group._children.values() if isinstance(c, Areas)]
        if not shapes:
            continue
        drawn = len(json.loads(shapes[0].data)["features"])
        known = sum(k >= 0 for k in area_polygon)
        if drawn != known or (known and max(area_polygon) >= drawn):
            raise InputError(
                f"what-if: the map draws {drawn} areas and the what-if data knows the homes of {known}; "
                "expected the same areas (planner.plan_map(plan, whatif=True), or WhatIf's area fields from whatif_inputs)"
            )
        return group
    return None


def whatif_legend(lang: str, minutes: float) -> str:
    """The legend of the what-if map: the sites by status, the walking area, homes covered and not."""
    words, t = phrases(lang, "whatif"), phrases(lang, "map")
    items = [
        legend_item(COLOURS["proposed"], words["proposed"]),
        legend_item(ADDED, words["added"]),
        legend_item(COLOURS["existing"], words["existing"]),
        legend_item("#ffffff", words["candidate"]),
        legend_item(COLOURS["proposed"], t["areas_legend"].format(minutes=minutes), "area"),
        legend_item(COLOURS["covered"], t["covered"]),
        legend_item(COLOURS["uncovered"], t["uncovered"]),
    ]
    return (
        '<div id="planner-legend" class="planner-panel" style="position:fixed;bottom:56px;left:12px;z-index:1000">'
        f"<b>{html.escape(t['legend'])}</b>{''.join(items)}</div>"
    )
