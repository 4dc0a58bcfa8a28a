"""Leaflet on the page: its files (from the CDN, or inlined), the planner's CSS, the basemap tiles and the zoom control.

Basemaps: OpenStreetMap (default), CARTO, Tianditu (needs a key) and Gaode (GCJ-02 tiles). Online, the
page loads Leaflet and the Leaflet.heat plugin from jsDelivr at exact versions (:data:`ASSET_URLS`).
With ``inline_assets=True`` both are written into the page instead (Leaflet from an installed package,
``django-js-lib-leaflet``; Leaflet.heat from folium's own copy), so only the tiles are fetched: the
page works where jsDelivr does not (mainland China with Gaode or Tianditu tiles). ``offline=True``
implies it and draws the plan's own streets as the basemap (see :func:`check_basemap`).

The elements the layers are drawn with are in :mod:`planner.outputs.maps.elements`.
"""

from __future__ import annotations

import base64
import functools
import importlib.resources
import os
import re
from typing import TYPE_CHECKING, Any, cast

import folium
from branca.element import Figure, MacroElement
from folium.template import Template

from planner.errors import DataError, InputError
from planner.outputs.maps.elements import Script
from planner.outputs.maps.style import COLOURS

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "ASSET_URLS",
    "BASEMAPS",
    "LEAFLET_PACKAGES",
    "LEAFLET_VERSION",
    "TIANDITU_ENV",
    "ZoomControl",
    "check_basemap",
    "heat_links",
    "heat_plugin",
    "leaflet_assets",
    "page_assets",
    "tile_layers",
]

#: the tile services ``basemap=`` accepts; ``{tk}`` is replaced by the Tianditu key
BASEMAPS: dict[str, dict[str, Any]] = {
    "osm": {
        "layers": ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"],
        "attr": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "subdomains": "abc",
        "max_zoom": 19,
        "gcj02": False,
    },
    "carto": {
        "layers": ["https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"],
        "attr": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
        "subdomains": "abcd",
        "max_zoom": 20,
        "gcj02": False,
    },
    "tianditu": {
        # vector map plus its annotation layer (cva: Chinese, eva: English)
        "layers": [
            (
                "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
                "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
            ),
            (
                "https://t{s}.tianditu.gov.cn/{ann}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={ann}"
                "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
            ),
        ],
        "attr": '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a> '
        "(National Platform for Common GeoSpatial Information Services)",
        "subdomains": "01234567",
        "max_zoom": 18,
        "gcj02": False,
    },
    "gaode": {
        "layers": [
            ("https://webrd0{s}.is.autonavi.com/appmaptile?lang={gaode_lang}&size=1&scale=1&style=8&x={x}&y={y}&z={z}")
        ],
        "attr": '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a> (GCJ-02)',
        "subdomains": "1234",
        "max_zoom": 18,
        "gcj02": True,
    },
}

#: environment variable read when no Tianditu key is given
TIANDITU_ENV = "TIANDITU_KEY"

#: the Leaflet release every page runs: from the CDN online, inlined from django-js-lib-leaflet (pinned to it) otherwise
LEAFLET_VERSION = "1.9.4"
_CDN_JS = ("leaflet", f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js")
_CDN_CSS = ("leaflet_css", f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css")

#: folium's copy of Leaflet.heat, at the tag of the installed folium (folium's own link follows ``@main``)
_HEAT_JS = (
    "leaflet-heat.js",
    f"https://cdn.jsdelivr.net/gh/python-visualization/folium@v{folium.__version__}/folium/templates/leaflet_heat.min.js",
)

#: every file an online page loads besides its tiles, each at an exact version
ASSET_URLS = (_CDN_JS[1], _CDN_CSS[1], _HEAT_JS[1])


#: installed packages that ship Leaflet's dist files: (module, folder inside it)
LEAFLET_PACKAGES = (("js_lib_leaflet", "static/js_lib_leaflet"), ("xstatic.pkg.leaflet", "data"))

_STYLE = """
.planner-station {{ box-sizing: border-box; border: 2px solid #fff; border-radius: 50%;
  box-shadow: 0 0 0 1px rgba(0,0,0,.55), 0 1px 4px rgba(0,0,0,.45); }}
.planner-proposed {{ background: {proposed}; }}
.planner-proposed.planner-tier-centre {{ background: {centre}; border-radius: 4px; }}
.planner-existing {{ background: {existing}; border-radius: 3px; }}
.planner-existing.planner-tier-centre {{ background: {existing_centre}; border-radius: 4px; }}
.planner-panel {{ background: rgba(255,255,255,.94); padding: 8px 10px; border: 1px solid #999; border-radius: 4px;
  font: 12px/1.45 "Helvetica Neue", Arial, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #222; }}
.planner-panel table {{ border-collapse: collapse; }}
.planner-panel td {{ padding: 0 6px 0 0; vertical-align: top; }}
.leaflet-control-layers {{ font: 13px/1.5 "Helvetica Neue", Arial, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
.planner-swatch {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -2px;
  box-sizing: border-box; }}
"""


class ZoomControl(Script):
    """Leaflet's zoom buttons with titles in the map's language."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.zoom({{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, zoom_in: str, zoom_out: str) -> None:
        super().__init__()
        self._name = "PlannerZoom"
        self.options = {"zoomInTitle": zoom_in, "zoomOutTitle": zoom_out}


# ----------------------------------------------------------------- basemaps and Leaflet's files


def check_basemap(
    basemap: str = "osm", tianditu_key: str | None = None, *, offline: bool = False, inline_assets: bool = False
) -> str | None:
    """
    Validate a basemap choice before any work is done.

    Parameters
    ----------
    basemap
        One of :data:`BASEMAPS`.
    tianditu_key
        The Tianditu key; for ``basemap="tianditu"`` falls back to the
        ``TIANDITU_KEY`` environment variable.
    offline
        The page renders with no network: Leaflet inlined (as ``inline_assets``) and the plan's
        streets drawn as the basemap. With the default ``"osm"`` no tiles are loaded; with
        ``"carto"``, ``"gaode"`` or ``"tianditu"`` those tiles are laid over the drawn streets
        wherever the network reaches them (the streets show where it does not).
    inline_assets
        Leaflet's files written into the page (no CDN); the tiles are still fetched.

    Returns
    -------
    str or None
        The Tianditu key to use (``None`` for other basemaps).

    Raises
    ------
    InputError
        Unknown basemap, or Tianditu without a usable key.
    DataError
        ``offline`` or ``inline_assets`` without an installed copy of Leaflet.
    """
    if basemap not in BASEMAPS:
        raise InputError(f"basemap={basemap!r}: expected one of {', '.join(BASEMAPS)}")
    if offline or inline_assets:
        leaflet_assets()  # fail before any work when Leaflet's files are missing
    if basemap != "tianditu":
        return None
    key = tianditu_key or os.environ.get(TIANDITU_ENV) or ""
    key = key.strip()
    if not key:
        raise InputError(
            f"basemap 'tianditu' needs a key: --tianditu-key KEY or the {TIANDITU_ENV} environment variable"
        )
    if not re.fullmatch(r"[A-Za-z0-9]{8,64}", key):
        raise InputError("tianditu key: expected 8 to 64 letters and digits (a key from console.tianditu.gov.cn)")
    return key


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str, str]:
    """
    Leaflet's JavaScript and CSS, read from an installed package.

    The CSS's images (layer-control icon, default marker) are inlined as
    ``data:`` URIs so that the page requests nothing.

    Returns
    -------
    js, css, origin
        The two files' text and ``"package x.y"``, where they came from.

    Raises
    ------
    DataError
        No package with Leaflet's files is installed.
    """
    from importlib.metadata import PackageNotFoundError, version

    for module, folder in LEAFLET_PACKAGES:
        try:
            root = importlib.resources.files(module)
        except ModuleNotFoundError:
            continue
        for part in folder.split("/"):  # one part at a time (Traversable on Python 3.10)
            root = root / part
        if not root.joinpath("leaflet.js").is_file():
            continue
        js = root.joinpath("leaflet.js").read_text(encoding="utf-8")
        css = root.joinpath("leaflet.css").read_text(encoding="utf-8")

        def inline(match: re.Match[str], root: Traversable = root) -> str:
            data = root.joinpath("images", match.group(2)).read_bytes()
            return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

        css = re.sub(r"url\((['\"]?)images/([\w.-]+\.png)\1\)", inline, css)
        js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
        # nothing in the inlined text may close the element it sits in
        js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
        css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
        dist = {"js_lib_leaflet": "django-js-lib-leaflet", "xstatic.pkg.leaflet": "XStatic-Leaflet"}[module]
        try:
            origin = f"{dist} {version(dist)}"
        except PackageNotFoundError:  # pragma: no cover - files present without metadata
            origin = dist
        return js, css, origin
    raise DataError("offline map: Leaflet's files are not installed; pip install django-js-lib-leaflet")


def heat_plugin() -> str:
    """
    The Leaflet.heat plugin folium ships (``folium/templates/leaflet_heat.min.js``), for inlining.

    Returns
    -------
    str
        The script's text, with nothing in it that would close the ``<script>`` element.
    """
    text = (importlib.resources.files("folium") / "templates" / "leaflet_heat.min.js").read_text(encoding="utf-8")
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def heat_links(heat: MacroElement, inline: bool) -> None:
    """
    Point a heat layer at the page's copy of Leaflet.heat.

    Parameters
    ----------
    heat
        A :class:`planner.outputs.maps.elements.HeatLayer` (or folium's ``HeatMap``).
    inline
        Whether the page inlines its assets: the layer then loads no script (the
        page carries the plugin), else the plugin at folium's installed tag
        (folium's own link follows ``@main``).
    """
    cast(Any, heat).default_js = [] if inline else [_HEAT_JS]


def tile_layers(
    fmap: folium.Map, basemap: str, key: str | None, lang: str, osm_data: str, *, credit_osm: bool = True
) -> None:
    """
    Add the basemap's tile layers (a second one for Tianditu's labels), not listed in the layer control.

    Parameters
    ----------
    fmap
        The map.
    basemap
        One of :data:`BASEMAPS`.
    key
        The Tianditu key (:func:`check_basemap`), or ``None``.
    lang
        ``"en"`` or ``"zh"``: the language of Tianditu's labels and Gaode's tiles.
    osm_data
        The OSM credit of the overlays, in the map's language.
    credit_osm
        Add that credit to a non-OSM basemap's attribution (not when the drawn streets of an
        offline page already carry it).
    """
    spec = BASEMAPS[basemap]
    attr = spec["attr"]
    if basemap != "osm" and basemap != "carto" and credit_osm:
        attr += " | " + osm_data
    for i, url in enumerate(spec["layers"]):
        url = (
            url.replace("{tk}", key or "")
            .replace("{ann}", "cva" if lang == "zh" else "eva")
            .replace("{gaode_lang}", "zh_cn" if lang == "zh" else "en")
        )
        folium.TileLayer(
            tiles=url,
            attr=attr if i == 0 else " ",
            name=f"{basemap}-{i}",
            control=False,
            subdomains=spec["subdomains"],
            max_zoom=spec["max_zoom"],
            overlay=i > 0,
        ).add_to(fmap)


def page_assets(fmap: folium.Map, inline: bool, offline: bool) -> None:
    """
    Put Leaflet's files (inlined, else from the CDN; nothing else folium would load) and the planner's CSS on the page.

    Parameters
    ----------
    fmap
        The map.
    inline
        Write Leaflet into the page (:func:`leaflet_assets`); inlined pages also carry Leaflet.heat
        (used by the heat layer unless offline, which draws circles instead).
    offline
        The page needs no network: no heat plugin, and the map's background in the drawn basemap's colour.
    """
    root = cast(Figure, fmap.get_root())
    if inline:
        js, css, origin = leaflet_assets()
        fmap.default_js = []
        fmap.default_css = []
        root.header.add_child(folium.Element(f"<style>/* Leaflet from {origin} */\n{css}</style>"), name="leaflet_css")
        root.header.add_child(folium.Element(f"<script>/* Leaflet from {origin} */\n{js}</script>"), name="leaflet")
        if not offline:
            plugin = f"<script>/* Leaflet.heat from folium {folium.__version__} */\n{heat_plugin()}</script>"
            root.header.add_child(folium.Element(plugin), name=_HEAT_JS[0])
    else:
        # only Leaflet itself: no jQuery, Bootstrap or icon fonts are used
        fmap.default_js = [_CDN_JS]
        fmap.default_css = [_CDN_CSS]
    style = _STYLE.format(**COLOURS)
    if offline:
        style += f".leaflet-container {{ background: {COLOURS['background']}; }}\n"
    root.header.add_child(folium.Element(f"<style>{style}</style>"), name="planner_style")
