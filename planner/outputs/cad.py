"""A DXF drawing of a plan (ezdxf): stations as blocks with their names, walking areas as closed polylines.

CAD measures in drawing units, so the drawing is in a projected CRS in metres (see
:func:`planner.outputs.gis.check_output_crs`). A DXF file cannot declare its CRS, so the
drawing says it where a CAD user looks: a note on layer ``CRS`` beside the plan, and
the drawing's custom properties (``CRS``, ``CRS_NAME``, ``UNITS``: AutoCAD's DWGPROPS).

A polygon's outer rings are on its layer (``ISOCHRONES``, ``AREAS``) and its holes on a
layer of their own (``ISOCHRONES_HOLES``, ``AREAS_HOLES``), so that the area CAD sums
over a layer's closed polylines, less that of its holes layer, is the polygons' area.
Each walking area's polylines, holes included, carry their station's ``site_id`` (the
``site_id`` of ``stations.csv``) as XDATA of :data:`XDATA_APP`, and a TEXT on layer
``ISOCHRONES`` shows it at the northernmost vertex of the walk's largest outline, where
overlapping outlines can still be told apart (the station's marker already shows its name).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import geopandas as gpd
import pyproj
import shapely

if TYPE_CHECKING:
    from ezdxf.document import Drawing

__all__ = [
    "BLOCK",
    "DXF_LAYERS",
    "HOLES",
    "MARKER_RADIUS_M",
    "TEXT_HEIGHT_M",
    "XDATA_APP",
    "crs_label",
    "dxf_bytes",
]

#: the holes of a polygon layer are on the layer of that name with this suffix (``ISOCHRONES_HOLES``)
HOLES = "_HOLES"
#: layer of each kind of entity, with its colour (AutoCAD colour index); holes in their outline's colour
DXF_LAYERS = {
    "STATIONS": 1,
    "ISOCHRONES": 3,
    "ISOCHRONES" + HOLES: 3,
    "AREAS": 5,
    "AREAS" + HOLES: 5,
    "CRS": 7,
}
#: the block every station is an insert of: a circle and a cross, with the attributes
#: ``NAME`` (shown beside it), ``SITE_ID`` and ``STATUS`` (hidden; CAD's attribute
#: extraction lists them)
BLOCK = "STATION"
#: XDATA application holding the station's ``site_id`` on each walking-area polyline
XDATA_APP = "STATION_PLANNER"
#: the station marker's radius and the height of its name, in metres (legible at 1:2000 to 1:5000)
MARKER_RADIUS_M = 6.0
TEXT_HEIGHT_M = 8.0
#: the text style's font: SimSun (宋体), which every Chinese Windows has and CAD's
#: default SHX fonts lack Chinese glyphs for; CAD substitutes a font where it is missing
FONT_FILE, FONT_FAMILY = "simsun.ttc", "SimSun"


def crs_label(crs: pyproj.CRS) -> str:
    """``EPSG:4547`` when the CRS has an EPSG code, else its PROJ string."""
    code = crs.to_epsg()
    return f"EPSG:{code}" if code is not None else crs.to_string()


def dxf_bytes(
    stations: gpd.GeoDataFrame,
    isochrones: gpd.GeoDataFrame,
    crs: pyproj.CRS,
    *,
    areas: gpd.GeoDataFrame | None = None,
) -> bytes:
    """
    A DXF (R2013, UTF-8) of the stations and walking areas, in ``crs``.

    Parameters
    ----------
    stations
        Points with ``site_id``, ``name`` and ``status``: one insert of :data:`BLOCK`
        each, on layer ``STATIONS``.
    isochrones
        Polygons with ``site_id``: one closed LWPOLYLINE per ring, outer rings on
        layer ``ISOCHRONES`` and holes on ``ISOCHRONES_HOLES``, each with the
        ``site_id`` as XDATA of :data:`XDATA_APP`; the ``site_id`` as a TEXT on
        ``ISOCHRONES`` at the top of the largest outline.
    crs
        A projected CRS in metres: the drawing's coordinates (x east, y north).
    areas
        Optional area polygons with ``area`` (names): closed polylines (holes on
        ``AREAS_HOLES``) and their names on layer ``AREAS``.

    Returns
    -------
    data
        The ``.dxf`` file's bytes.
    """
    import ezdxf
    from ezdxf import units
    from ezdxf.enums import TextEntityAlignment

    doc = ezdxf.new("R2013")
    doc.units = units.M
    doc.header["$MEASUREMENT"] = 1
    doc.appids.add(XDATA_APP)
    for name, colour in DXF_LAYERS.items():
        doc.layers.add(name, color=colour)
    style = doc.styles.add("PLANNER", font=FONT_FILE)
    style.set_extended_font_data(FONT_FAMILY)
    _station_block(doc)
    stations, isochrones = stations.to_crs(crs), isochrones.to_crs(crs)
    msp = doc.modelspace()
    text = {"style": "PLANNER", "height": TEXT_HEIGHT_M}
    for row in stations.itertuples():
        insert = msp.add_blockref(BLOCK, (row.geometry.x, row.geometry.y), dxfattribs={"layer": "STATIONS"})
        insert.add_auto_attribs({"NAME": _line(row.name), "SITE_ID": _line(row.site_id), "STATUS": _line(row.status)})
        for attrib in insert.attribs:
            attrib.dxf.layer = "STATIONS"
    for row in isochrones.itertuples():
        site_id = [(1000, _line(row.site_id))]
        for ring, hole in _rings(row.geometry):
            line = msp.add_lwpolyline(ring, close=True, dxfattribs={"layer": "ISOCHRONES" + (HOLES if hole else "")})
            line.set_xdata(XDATA_APP, site_id)
        top = _top(row.geometry)
        if top is not None:
            label = msp.add_text(_line(row.site_id), dxfattribs={**text, "layer": "ISOCHRONES"})
            label.set_placement(top, align=TextEntityAlignment.BOTTOM_CENTER)
            label.set_xdata(XDATA_APP, site_id)
    if areas is not None:
        for row in areas.to_crs(crs).itertuples():
            for ring, hole in _rings(row.geometry):
                msp.add_lwpolyline(ring, close=True, dxfattribs={"layer": "AREAS" + (HOLES if hole else "")})
            if not row.geometry.is_empty:
                at = row.geometry.representative_point()
                msp.add_text(_line(row.area), dxfattribs={**text, "layer": "AREAS", "insert": (at.x, at.y)})
    _crs_note(doc, crs, [stations, isochrones])
    buffer = io.StringIO()
    doc.write(buffer)
    return doc.encode(buffer.getvalue())


def _line(value: object) -> str:
    """``value`` as one line of DXF text: line breaks and tabs become spaces (DXF would drop them)."""
    return " ".join(str(value).split()) if any(c in str(value) for c in "\r\n\t") else str(value)


def _station_block(doc: Drawing) -> None:
    """The :data:`BLOCK` definition: circle, cross, the name to the right, hidden ``SITE_ID`` / ``STATUS``."""
    block = doc.blocks.new(BLOCK)
    r = MARKER_RADIUS_M
    block.add_circle((0, 0), r)
    block.add_line((-r, 0), (r, 0))
    block.add_line((0, -r), (0, r))
    text = {"style": "PLANNER", "height": TEXT_HEIGHT_M}
    block.add_attdef("NAME", (1.5 * r, -TEXT_HEIGHT_M / 2), dxfattribs=text)
    for k, tag in enumerate(("SITE_ID", "STATUS")):
        block.add_attdef(tag, (1.5 * r, -TEXT_HEIGHT_M * (2 + 1.5 * k)), dxfattribs={**text, "flags": 1})


def _polygons(geom: shapely.Geometry) -> list[shapely.Polygon]:
    """The non-empty polygons of a polygon or multipolygon."""
    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, shapely.Polygon) and not g.is_empty]


def _rings(geom: shapely.Geometry) -> list[tuple[list[tuple[float, float]], bool]]:
    """Every ring of a polygon or multipolygon, without the repeated closing point, and whether it is a hole."""
    rings = []
    for polygon in _polygons(geom):
        for k, ring in enumerate((polygon.exterior, *polygon.interiors)):
            rings.append(([(float(x), float(y)) for x, y in ring.coords[:-1]], k > 0))
    return rings


def _top(geom: shapely.Geometry) -> tuple[float, float] | None:
    """The northernmost vertex of the largest polygon's outline (the first of a tie), or ``None`` when empty."""
    polygons = _polygons(geom)
    if not polygons:
        return None
    largest = max(polygons, key=lambda polygon: polygon.area)
    xy = shapely.get_coordinates(largest.exterior)
    x, y = xy[int(xy[:, 1].argmax())]
    return float(x), float(y)


def _crs_note(doc: Drawing, crs: pyproj.CRS, parts: list[gpd.GeoDataFrame]) -> None:
    """The CRS as a note on layer ``CRS`` below the drawing, in the custom properties, and the view on the plan."""
    label = crs_label(crs)
    doc.header.custom_vars.append("CRS", label)
    doc.header.custom_vars.append("CRS_NAME", crs.name)
    doc.header.custom_vars.append("UNITS", "metre")
    bounds = [part.total_bounds for part in parts if len(part)]
    if bounds:
        x0, y0 = min(b[0] for b in bounds), min(b[1] for b in bounds)
        x1, y1 = max(b[2] for b in bounds), max(b[3] for b in bounds)
    else:
        x0 = y0 = x1 = y1 = 0.0
    note = f"坐标系 CRS: {label} {crs.name}\\P单位 units: 米 metres"
    mtext = doc.modelspace().add_mtext(
        note, dxfattribs={"layer": "CRS", "style": "PLANNER", "char_height": TEXT_HEIGHT_M}
    )
    mtext.set_location((x0, y0 - 3 * TEXT_HEIGHT_M))
    height = max(y1 - y0, x1 - x0, 100.0) * 1.1
    doc.set_modelspace_vport(height, center=((x0 + x1) / 2, (y0 + y1) / 2))
