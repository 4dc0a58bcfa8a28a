"""The escaping of text bound for the page, ``label: value`` rows, and the legend panel of the map.

The map's words, in English and Chinese, are :mod:`planner.text.map`'s (``planner.text.words(lang, "map")``);
they reach these helpers as :data:`Labels`.

Every string that comes from OSM or a user file goes through :func:`html_text`
(HTML-escaped, and safe inside the JavaScript template literals folium writes).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np

from planner.outputs.maps.style import AREA_STEPS, AREA_STYLE, COLOURS

# names with a leading underscore are for the other modules of planner.outputs.maps
__all__ = ["Labels", "html_text", "legend_html", "legend_item", "rows_html"]

#: the map's words in one language: ``planner.text.words(lang, "map")``
Labels = Mapping[str, str]


def html_text(value: str) -> str:
    """HTML-escape ``value``; also escape what ends or interpolates the JS template literals folium wraps it in."""
    return html.escape(str(value)).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def rows_html(rows: list[tuple[str, str]]) -> str:
    """``label: value`` lines, both escaped by :func:`html_text`, the label in bold."""
    return "<br>".join(f"<b>{html_text(k)}</b>: {html_text(v)}" for k, v in rows)


def _area_step_range(i: int) -> str:
    """The shares of step ``i`` of :data:`AREA_STEPS` as text: ``<50%``, ``50–80%``, ``≥95%``."""
    lo = AREA_STEPS[i][0]
    if i == len(AREA_STEPS) - 1:
        return f"≥{lo:.0%}"
    hi = AREA_STEPS[i + 1][0]
    return f"<{hi:.0%}" if i == 0 else f"{lo:.0%}–{hi:.0%}"


def legend_item(colour: str, label: str, shape: str = "circle") -> str:
    """One legend line: a swatch (``circle``.

    ``square``, ``area`` outline or ``fill`` as the areas layer) and the escaped label.
    """
    radius = {"circle": "50%", "square": "3px", "area": "0", "fill": "0"}[shape]
    fill = {"area": f"{colour}33", "fill": f"{colour}{round(AREA_STYLE['fillOpacity'] * 255):02x}"}.get(shape, colour)
    border = {"area": f"1px solid {colour}", "fill": f"1px solid {AREA_STYLE['color']}"}.get(
        shape, "1px solid rgba(0,0,0,.45)"
    )
    return (
        f'<div><span class="planner-swatch" style="background:{fill};border:{border};border-radius:{radius}">'
        f"</span>{html.escape(label)}</div>"
    )


def legend_html(
    t: Labels, minutes: float, *, by_tier: bool, tiered: bool, existing_centre: np.ndarray, areas: bool
) -> str:
    """The legend panel.

    ``by_tier``: the proposed stations are drawn in one layer per tier; ``tiered``: the plan has community
    centres; ``existing_centre``: per existing station, whether it is a community centre; ``areas``: the
    areas layer is drawn (one item per step of :data:`AREA_STEPS`).
    """
    items = []
    if by_tier:
        items += [
            legend_item(COLOURS["centre"], t["proposed_centre_layer"], "square"),
            legend_item(COLOURS["proposed"], t["proposed_grid_layer"]),
        ]
    else:
        items.append(legend_item(COLOURS["proposed"], t["proposed"]))
    if existing_centre.any():
        items.append(legend_item(COLOURS["existing_centre"], t["existing_centre"], "square"))
    if not len(existing_centre) or not existing_centre.all():
        items.append(legend_item(COLOURS["existing"], t["existing_grid" if tiered else "existing"], "square"))
    items += [
        legend_item(COLOURS["proposed"], t["areas_legend"].format(minutes=minutes), "area"),
        legend_item(COLOURS["covered"], t["covered"]),
        legend_item(COLOURS["uncovered"], t["uncovered"]),
        legend_item("#fd8d3c", t["heat"]),
    ]
    if areas:
        items += [
            legend_item(colour, t["area_legend"].format(share=_area_step_range(i)), "fill")
            for i, (_, colour) in enumerate(AREA_STEPS)
        ]
    return (
        '<div id="planner-legend" class="planner-panel" style="position:fixed;bottom:56px;left:12px;z-index:1000">'
        f"<b>{html.escape(t['legend'])}</b>{''.join(items)}</div>"
    )
