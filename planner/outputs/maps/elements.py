"""The custom folium elements a plan's layers are drawn with.

Each element draws many features in one script, with their data as JSON: :class:`Points` (circle
markers or circles), :class:`Lines`, :class:`Shapes` and :class:`Areas` (GeoJSON documents),
:class:`Polygons`, :class:`HeatLayer` (folium's heat map without importing every folium plugin) and
:func:`popup`. The HTML they carry must already be escaped (see
:func:`planner.outputs.maps.labels.html_text`). Their output goes into the page as text, not as a Jinja
template compiled once per element (see :class:`Script`).

The page around them (Leaflet's files, the basemap tiles, the zoom control) is :mod:`planner.outputs.maps.leaflet`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template
from folium.utilities import none_max, none_min, remove_empty, validate_location

from planner.outputs.maps.labels import rows_html

__all__ = ["Areas", "HeatLayer", "Lines", "Points", "Polygons", "Popup", "Script", "Shapes", "popup"]

#: Jinja's opening delimiters (``{{``, ``{%``, ``{#``)
_JINJA_START = re.compile(r"\{[{%#]")
#: the line ends Jinja reads as one
_LINE_END = re.compile(r"\r\n|\r|\n")


class Script(MacroElement):
    """A :class:`MacroElement` whose macros' output goes into the page as text.

    branca adds each macro's output (``header``, ``html``, ``script``) to the page as
    ``Element(text)``: a Jinja template made of that text, compiled to be rendered once
    (0.1-0.3 s of Jinja lexing for a plan's layers, whose scripts carry their data as JSON).
    Text without a Jinja delimiter renders to itself with every line end made a newline
    and a final one dropped (Jinja's defaults): :class:`_Text` holds that. Text with a
    delimiter goes branca's way.
    """

    def render(self, **kwargs: Any) -> Any:
        """Add the macros' output to the page's header, body and script, then render the children."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("You cannot render this Element if it is not in a Figure.")
        macros = self._template.module.__dict__
        for part, into in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            if macros.get(part) is not None:
                text = str(macros[part](self, kwargs))
                into.add_child(Element(text) if _JINJA_START.search(text) else _Text(text), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class _Text(Element):
    """Markup as a template without Jinja syntax renders it (see :class:`Script`), kept as a string."""

    def __init__(self, text: str) -> None:
        super().__init__()
        lines = _LINE_END.split(text)
        if lines[-1] == "":
            del lines[-1]
        self.html_text = "\n".join(lines)

    def render(self, **_: Any) -> str:
        """The markup."""
        return self.html_text


class Popup(Script):
    """A popup bound to its parent layer; the HTML goes in as a JSON string (no jQuery)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, max_width: int = 320) -> None:
        super().__init__()
        self._name = "PlannerPopup"
        self.html = html_text
        self.options = {"maxWidth": max_width}


def popup(rows: list[tuple[str, str]]) -> Popup:
    """A popup of ``label: value`` rows (escaped by :func:`rows_html`)."""
    return Popup(rows_html(rows))


class Points(Script):
    """Many circle markers (``circleMarker``, radius in pixels) or circles (``circle``, metres) drawn in one loop.

    ``rows`` are ``[lat, lon, radius, tooltip_html_or_null]``; ``options`` are Leaflet path options.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var opts = {{ this.options|tojson }};
            var rows = {{ this.rows|tojson }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var m = L.{{ this.kind }}([r[0], r[1]], Object.assign({}, opts, {radius: r[2]}));
                if (r[3]) { m.bindTooltip(r[3]); }
                m.addTo({{ this._parent.get_name() }});
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], options: dict[str, Any], kind: str = "circleMarker") -> None:
        super().__init__()
        if kind not in ("circleMarker", "circle"):
            raise ValueError(kind)
        self._name = "PlannerPoints"
        self.rows = rows
        self.options = options
        self.kind = kind


class Lines(Script):
    """One multi-part polyline: ``parts`` are lists of ``[lat, lon]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.polyline({{ this.parts|tojson }}, {{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, parts: list[list[list[float]]], options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlannerLines"
        self.parts = parts
        self.options = options


class Shapes(Script):
    """A GeoJSON document drawn with one style (``options`` = Leaflet path options incl. ``pane``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.geoJSON({{ this.data|tojson }}, Object.assign({style: {{ this.options|tojson }}}, {{ this.options|tojson }}))
                .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlannerShapes"
        self.data = data
        self.options = options


class Polygons(Script):
    """One multi-polygon: ``polygons`` are lists of rings, each a list of ``[lat, lon]``.

    The coordinates go in as compact JSON (numbers only) to keep the page small.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.polygon({{ this.data }}, {{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, polygons: list[Any], options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlannerPolygons"
        self.data = json.dumps(polygons, separators=(",", ":"))
        self.options = options


class Areas(Script):
    """A GeoJSON document of filled areas, each with its own fill colour, tooltip and popup.

    Every feature's ``properties`` hold ``fill`` (a colour), ``tooltip`` and ``popup``
    (escaped HTML); ``options`` are the Leaflet path options shared by all (incl. ``pane``).
    The document goes in as compact JSON with ``<``, ``>``, ``&`` and ``'`` escaped, as
    folium escapes its own JSON.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var opts = {{ this.options|tojson }};
            L.geoJSON({{ this.data }}, Object.assign({}, opts, {
                style: function (f) { return Object.assign({}, opts, {fillColor: f.properties.fill}); },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(f.properties.tooltip, {sticky: true});
                    layer.bindPopup(f.properties.popup, {maxWidth: 320});
                }
            })).addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlannerAreas"
        self.data = (
            json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("'", "\\u0027")
        )
        self.options = options


#: where folium's HeatMap loads Leaflet.heat from
_FOLIUM_HEAT_JS = "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js"


class HeatLayer(JSCSSMixin, Layer):
    """folium's ``plugins.HeatMap`` (folium 0.20: its template, options and JavaScript link).

    Importing ``folium.plugins`` for it imports every folium plugin (about 0.1 s of each
    ``plan.html``). The page is the same: the template, the element's name (``HeatMap``),
    its data (each point's location checked and made floats) and its options in order.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.heatLayer(
                {{ this.data|tojson }},
                {{ this.options|tojavascript }}
            );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: list[list[float]],
        *,
        radius: float,
        blur: float,
        min_opacity: float,
        max_zoom: int,
        control: bool = True,
    ) -> None:
        super().__init__(name=None, overlay=True, control=control, show=True)
        self._name = "HeatMap"
        self.default_js = [("leaflet-heat.js", _FOLIUM_HEAT_JS)]  # folium's; leaflet.heat_links sets the page's
        self.data = [[*validate_location(row[:2]), *row[2:]] for row in data]
        if any(math.isnan(value) for row in self.data for value in row):
            raise ValueError("data may not contain NaNs.")
        self.options = remove_empty(min_opacity=min_opacity, max_zoom=max_zoom, radius=radius, blur=blur)

    def _get_self_bounds(self) -> list[list[float | None]]:
        """The data's bounds, ``[[lat_min, lon_min], [lat_max, lon_max]]`` (as folium's HeatMap)."""
        bounds: list[list[float | None]] = [[None, None], [None, None]]
        for point in self.data:
            bounds = [
                [none_min(bounds[0][0], point[0]), none_min(bounds[0][1], point[1])],
                [none_max(bounds[1][0], point[0]), none_max(bounds[1][1], point[1])],
            ]
        return bounds
