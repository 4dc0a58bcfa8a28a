"""The committee report's figures: the plan drawn offline (matplotlib PNG) and the coverage curve (inline SVG).

No text is drawn into the map image (only the station numbers), so it needs no font for Chinese: every label is
written by the report's HTML, or, for the curve, as SVG text the browser renders with its own fonts.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.polygon import orient

from planner.outputs.maps.style import COLOURS
from planner.reach.arrays import street_lines

if TYPE_CHECKING:
    from planner.result import Plan

__all__ = ["CURVE_SECONDS", "CURVE_STEPS", "MapFigure", "curve_svg", "map_figure", "report_curve", "scale_metres"]

#: the report's coverage curve solves at most this many p beyond the existing stations (the plan's count, capped)
CURVE_STEPS = 20
#: time limit of each p's exact solve in the report's curve (seconds)
CURVE_SECONDS = 5.0

#: width of the map figure in inches, and its resolution (about 1,060 px: sharp on A4 at the page's width)
_MAP_WIDTH_IN = 7.0
_MAP_DPI = 150


@dataclass(frozen=True)
class MapFigure:
    """The plan drawn as a PNG data URI, with the scale bar's length in metres (stated in the caption)."""

    uri: str
    scale_m: float
    width_px: int
    height_px: int


def scale_metres(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten) of about a fifth of ``span_m``."""
    target = max(span_m / 5.0, 1.0)
    power = 10.0 ** math.floor(math.log10(target))
    return float(max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target))


def _area_paths(geoms: Any) -> list[Any]:
    """One matplotlib path per walking area: its polygons, exteriors counter-clockwise and holes clockwise."""
    from matplotlib.path import Path

    paths = []
    for geom in geoms:
        rings = []
        for part in shapely.get_parts(geom):
            if part.is_empty or part.geom_type != "Polygon":
                continue
            part = orient(part, 1.0)
            rings.append(shapely.get_coordinates(part.exterior))
            rings.extend(shapely.get_coordinates(r) for r in part.interiors)
        if rings:
            paths.append(Path.make_compound_path(*[Path(r, closed=True) for r in rings]))
    return paths


def _extent(points: list[np.ndarray]) -> tuple[float, float, float, float]:
    """The bounds of the homes, stations and walking areas, with a 4 % margin (at least 100 m)."""
    xy = np.concatenate([p for p in points if len(p)]) if any(len(p) for p in points) else np.zeros((1, 2))
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    pad = max(0.04 * max(x1 - x0, y1 - y0), 100.0)
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _fitted(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The bounds widened about their centre to a height / width ratio from 3/7 to 9/7 (the figure's, at 7 in wide)."""
    x0, y0, x1, y1 = bounds
    ratio = (y1 - y0) / (x1 - x0)
    if ratio > 9 / 7:
        half = (y1 - y0) * 7 / 9 / 2
        x0, x1 = (x0 + x1) / 2 - half, (x0 + x1) / 2 + half
    elif ratio < 3 / 7:
        half = (x1 - x0) * 3 / 7 / 2
        y0, y1 = (y0 + y1) / 2 - half, (y0 + y1) / 2 + half
    return x0, y0, x1, y1


def map_figure(plan: Plan) -> MapFigure:
    """
    The plan drawn offline: streets, walking areas, homes covered / not covered, stations numbered 1..n.

    Stations are circles, community centres of a tiered plan squares; new ones red, existing ones blue.

    Parameters
    ----------
    plan
        The plan; its stations are numbered in the order of :attr:`Plan.stations` (the report's station table).

    Returns
    -------
    MapFigure
        A PNG data URI (no metadata: the same bytes for the same plan), north up, in the network's projected
        CRS; the scale bar at the lower left is :attr:`MapFigure.scale_m` metres long.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.figure import Figure

    crs = plan.network.graph["crs"]
    homes = plan.demand.to_crs(crs)
    home_xy = shapely.get_coordinates(homes.geometry.values)
    stations_xy = shapely.get_coordinates(plan.stations.to_crs(crs).geometry.values)
    areas = _area_paths(plan.isochrones.to_crs(crs).geometry.values)
    x0, y0, x1, y1 = _fitted(_extent([home_xy, stations_xy, *(a.vertices for a in areas)]))
    height_in = _MAP_WIDTH_IN * (y1 - y0) / (x1 - x0)
    fig = Figure(figsize=(_MAP_WIDTH_IN, height_in), dpi=_MAP_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.add_collection(LineCollection(street_lines(plan.network), colors=COLOURS["basemap"], linewidths=0.5, zorder=1))
    ax.add_collection(PathCollection(areas, facecolors=COLOURS["proposed"], edgecolors="none", alpha=0.13, zorder=2))
    ax.add_collection(
        PathCollection(areas, facecolors="none", edgecolors=COLOURS["proposed"], linewidths=0.6, zorder=2)
    )
    covered = np.asarray(plan.solution.covered, bool)
    for mask, colour in ((covered, COLOURS["covered"]), (~covered, COLOURS["uncovered"])):
        ax.scatter(home_xy[mask, 0], home_xy[mask, 1], s=10, c=colour, linewidths=0, zorder=3)
    existing = plan.stations["existing"].to_numpy(bool)
    centre = plan.stations["tier"].astype(str).to_numpy() == "centre"
    for k, (x, y) in enumerate(stations_xy):
        colour = COLOURS["existing"] if existing[k] else COLOURS["proposed"]
        shape = "s" if centre[k] else "o"
        ax.scatter([x], [y], s=150, c="white", marker=shape, edgecolors=colour, linewidths=1.8, zorder=4)
        ax.text(x, y, str(k + 1), ha="center", va="center", fontsize=6.5, color=colour, weight="bold", zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    bar = scale_metres(x1 - x0)
    bx, by = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
    ax.plot([bx, bx + bar], [by, by], color="#222222", lw=2.5, solid_capstyle="butt", zorder=6)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    width, height = fig.canvas.get_width_height()
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return MapFigure(uri, bar, int(width), int(height))


def report_curve(
    plan: Plan, *, steps: int = CURVE_STEPS, seconds: float = CURVE_SECONDS
) -> tuple[pd.DataFrame, dict[str, int | None], int] | None:
    """
    The exact coverage curve of a plan's own coverage, p = existing stations .. the plan's station count.

    Parameters
    ----------
    plan
        The plan (its coverage, existing stations and station count).
    steps
        Most values of p solved beyond the existing stations (the curve stops there when the plan has more).
    seconds
        Time limit of each solve.

    Returns
    -------
    curve, needed, max_p
        :func:`planner.optimize.coverage_curve`'s table and stations needed, and the largest p solved;
        ``None`` when the plan has no station.
    """
    from planner.optimize import coverage_curve

    required = np.flatnonzero(plan.existing)
    n_stations = int(plan.solution.n_stations)
    if n_stations < 1:
        return None
    max_p = min(n_stations, max(1, len(required)) + steps - 1)
    curve, needed = coverage_curve(plan.coverage, max_p=max_p, required=required, time_limit=seconds)
    return curve, needed, max_p


def curve_svg(curve: pd.DataFrame, labels: dict[str, str], plan_point: tuple[int, float] | None) -> str:
    """
    The coverage curve as inline SVG: share of all residents and of the reachable ones per number of stations.

    Parameters
    ----------
    curve
        ``p``, ``covered_share``, ``coverable_share``.
    labels
        ``x_axis``, ``y_axis``, ``all``, ``reachable``, ``plan``: the text of the axes and the series (escaped here).
    plan_point
        ``(stations, share of all residents)`` of the plan itself, marked on the chart; ``None``: not marked.

    Returns
    -------
    str
        An ``<svg>`` element (no namespace URL: it is inline HTML), text in the page's font.
    """
    w, h, left, right, top, bottom = 640, 300, 52, 16, 14, 64
    p = curve["p"].to_numpy(int)
    lo = int(p.min())
    hi = max(int(p.max()), lo + 1)

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (w - left - right)

    def y(share: float) -> float:
        return top + (1.0 - share) * (h - top - bottom)

    out = [f'<svg class="curve" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{_esc(labels["title"])}">']
    for tick in range(0, 101, 20):
        out.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y(tick / 100):.1f}" y2="{y(tick / 100):.1f}" class="grid"/>'
        )
        out.append(f'<text x="{left - 6}" y="{y(tick / 100) + 4:.1f}" text-anchor="end">{tick}%</text>')
    step = max(1, math.ceil((hi - lo + 1) / 20))
    out.extend(
        f'<text x="{x(tick):.1f}" y="{h - bottom + 16}" text-anchor="middle">{tick}</text>'
        for tick in range(lo, hi + 1, step)
    )
    out.append(
        f'<text x="{(left + w - right) / 2:.1f}" y="{h - bottom + 34}" text-anchor="middle">{_esc(labels["x_axis"])}</text>'
    )
    out.append(
        f'<text transform="translate(12 {(top + h - bottom) / 2:.1f}) rotate(-90)" text-anchor="middle">'
        f"{_esc(labels['y_axis'])}</text>"
    )
    for column, css in (("coverable_share", "reach"), ("covered_share", "all")):
        xy = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(p, curve[column].to_numpy(float)))
        out.append(f'<polyline points="{xy}" class="{css}"/>')
        out.extend(f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="3" class="{css}"/>' for a, b in zip(p, curve[column]))
    if plan_point is not None:
        px, py = x(plan_point[0]), y(plan_point[1])
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="8" class="plan"/>')
    legend_y = h - 10
    out.append(f'<line x1="{left}" x2="{left + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}" class="all"/>')
    out.append(f'<text x="{left + 30}" y="{legend_y}">{_esc(labels["all"])}</text>')
    mid = left + (w - left - right) // 2
    out.append(f'<line x1="{mid}" x2="{mid + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}" class="reach"/>')
    out.append(f'<text x="{mid + 30}" y="{legend_y}">{_esc(labels["reachable"])}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)
