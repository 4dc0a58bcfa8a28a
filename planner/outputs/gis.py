"""GIS outputs: the output CRS, a GeoPackage of layers and one shapefile per layer (as bytes, for atomic writing).

Layers reach these writers as GeoDataFrames in any CRS and leave in the output CRS;
the files are made in a temporary folder through pyogrio (GDAL) and returned as bytes
for :func:`planner.outputs.files.write_outputs`, which writes every output or none.
"""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from planner.errors import InputError
from planner.io.datums import datum_name
from planner.outputs.files import csv_text

__all__ = [
    "LAYER_GEOMETRY",
    "SHP_FIELDS",
    "check_output_crs",
    "china_zone_code",
    "gpkg_bytes",
    "shapefile_files",
    "shp_field_names",
    "warn_outside_area",
]

#: geometry type of each layer, declared for a layer with no features (GDAL cannot infer it)
LAYER_GEOMETRY = {
    "stations": "Point",
    "isochrones": "MultiPolygon",
    "homes": "Point",
    "areas": "MultiPolygon",
    "unreachable": "Point",
}

#: shapefile (dBase) field names of the columns longer than its 10-byte limit; any other
#: long column (a user's areas file, say) gets its first bytes and a number, see
#: :func:`shp_field_names`. ``shp/fields.csv`` lists every field with its full column name.
SHP_FIELDS = {
    "population_within": "pop_within",
    "population_assigned": "pop_assign",
    "farthest_assigned_minutes": "far_min",
    "population_covered": "pop_cover",
    "covered_share": "cov_share",
    "station_name": "station_nm",
    "nearest_site_id": "near_id",
    "nearest_site_name": "near_name",
    "nearest_minutes": "near_min",
}

_EXPECTED = "expected an EPSG code such as EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E) or EPSG:4326"
_DBF_NAME_BYTES = 10
_DBF_TEXT_BYTES = 254
#: how far (degrees) a plan may reach beyond the area of use of the output CRS without a warning
_AREA_MARGIN_DEG = 1.0


def check_output_crs(value: object, *, dxf: bool = False) -> pyproj.CRS | None:
    """
    The output CRS asked for (``--output-crs``), checked.

    Parameters
    ----------
    value
        Anything :meth:`pyproj.CRS.from_user_input` reads (``"EPSG:4547"``, ``4547``, WKT),
        ``"wgs84"``, or ``None`` (each file's default).
    dxf
        Whether a DXF drawing is written in it. CAD measures in drawing units, so a
        geographic CRS (degrees) or one in units other than metres is refused.

    Returns
    -------
    crs
        ``None`` for ``None``.

    Raises
    ------
    InputError
        An unknown CRS, a datum shift (GCJ-02 / BD-09: no GIS file can declare it), a CRS
        neither lon/lat nor projected, or one a DXF cannot be drawn in.
    """
    if value is None:
        return None
    label = f"output_crs={value!r} (--output-crs)"
    datum = datum_name(value)
    if datum in ("gcj02", "bd09"):
        raise InputError(f"{label}: {datum} is a shift of WGS-84 that no GIS file can declare; {_EXPECTED}")
    try:
        crs = pyproj.CRS.from_user_input("EPSG:4326" if datum == "wgs84" else value)
    except (pyproj.exceptions.CRSError, TypeError, ValueError):
        raise InputError(f"{label}: not a known CRS; {_EXPECTED}") from None
    if not (crs.is_geographic or crs.is_projected):
        raise InputError(f"{label}: {crs.name} is a {crs.type_name}, not a lon/lat or projected CRS; {_EXPECTED}")
    if dxf and (crs.is_geographic or crs.axis_info[0].unit_name not in ("metre", "meter")):
        units = "degrees" if crs.is_geographic else crs.axis_info[0].unit_name
        raise InputError(
            f"{label}: {crs.name} is in {units}, which CAD cannot measure a DXF drawing in; expected a projected "
            "CRS in metres such as EPSG:4547, or no --output-crs (the DXF is then in the plan's UTM zone)"
        )
    return crs


def china_zone_code(lon: float) -> int | None:
    """The EPSG code of the CGCS2000 3-degree Gauss-Kruger zone (no zone number in x) at ``lon``, inside China."""
    cm = 3 * round(lon / 3)
    return 4534 + (cm - 75) // 3 if 75 <= cm <= 135 else None


def warn_outside_area(crs: pyproj.CRS, lon: np.ndarray, lat: np.ndarray) -> None:
    """
    Warn when points (a plan's stations and homes) lie outside the area ``crs`` is made for.

    A transverse Mercator zone still converts there, but its scale error grows with
    the distance from its central meridian: a wrong zone number is the usual cause.

    Parameters
    ----------
    crs
        The output CRS.
    lon, lat
        WGS-84 degrees.
    """
    area = crs.area_of_use
    if area is None or not len(lon) or area.west > area.east:
        return
    m = _AREA_MARGIN_DEG
    inside = (lon >= area.west - m) & (lon <= area.east + m) & (lat >= area.south - m) & (lat <= area.north + m)
    if inside.all():
        return
    i = int(np.flatnonzero(~inside)[0])
    code = china_zone_code(float(np.median(lon))) if 73 <= float(np.median(lon)) <= 136 else None
    hint = f"; use EPSG:{code} ({pyproj.CRS(code).name})" if code is not None and 18 <= np.median(lat) <= 54 else ""
    warnings.warn(
        f"output CRS {crs.name} is made for lon {area.west:g}..{area.east:g}, lat {area.south:g}..{area.north:g}; "
        f"the plan reaches lon {lon[i]:.4f}, lat {lat[i]:.4f}, where its distances and areas are distorted{hint}",
        UserWarning,
        stacklevel=3,
    )


def shp_field_names(columns: list[str]) -> dict[str, str]:
    """
    Column -> shapefile field name: :data:`SHP_FIELDS`, else the column itself when it fits.

    A dBase field name holds at most 10 bytes (UTF-8) and is case-insensitive; a longer
    column not in :data:`SHP_FIELDS` keeps its first bytes, numbered when two would clash
    (``population_adults`` -> ``population``, a second -> ``populati01``).

    Parameters
    ----------
    columns
        The columns of one layer (without the geometry).

    Returns
    -------
    names
        Unique (case-insensitively) field names of at most 10 bytes, in column order.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = SHP_FIELDS.get(column, column)
        if len(name.encode("utf-8")) > _DBF_NAME_BYTES or name.lower() in taken:
            stem = _utf8_prefix(name, _DBF_NAME_BYTES)
            name, k = stem, 0
            while name.lower() in taken:
                k += 1
                name = f"{_utf8_prefix(stem, _DBF_NAME_BYTES - 2)}{k:02d}"
        names[column] = name
        taken.add(name.lower())
    return names


def _utf8_prefix(text: str, n_bytes: int) -> str:
    """The longest start of ``text`` that is at most ``n_bytes`` in UTF-8 (never half a character)."""
    return text.encode("utf-8")[:n_bytes].decode("utf-8", errors="ignore")


def _in_crs(gdf: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """``gdf`` in ``crs`` (a layer without CRS is taken as lon/lat)."""
    gdf = gdf if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    return gdf.to_crs(crs)


def _write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str, driver: str) -> None:
    import pyogrio

    options: dict[str, object] = {"promote_to_multi": LAYER_GEOMETRY.get(layer, "").startswith("Multi")}
    if not len(gdf):
        options["geometry_type"] = LAYER_GEOMETRY.get(layer, "Unknown")
    if driver == "ESRI Shapefile":
        options["encoding"] = "UTF-8"  # and a .cpg saying so
    pyogrio.write_dataframe(gdf, path, layer=layer, driver=driver, **options)


def gpkg_bytes(layers: dict[str, gpd.GeoDataFrame], crs: pyproj.CRS) -> bytes:
    """
    A GeoPackage holding each layer under its name, in ``crs``.

    Parameters
    ----------
    layers
        Layer name -> features (a ``geometry`` column and plain columns).
    crs
        The CRS of every layer.

    Returns
    -------
    data
        The ``.gpkg`` file's bytes.
    """
    with tempfile.TemporaryDirectory(prefix="planner-gpkg-") as tmp, _sqlite_unsynced():
        path = Path(tmp) / "plan.gpkg"
        for name, gdf in layers.items():
            _write_layer(_in_crs(gdf, crs), path, name, "GPKG")
        return path.read_bytes()


@contextlib.contextmanager
def _sqlite_unsynced() -> Iterator[None]:
    """
    GDAL's SQLite writes (a GeoPackage) without waiting for the disk at each commit.

    The GeoPackage is a scratch file, read back at once and written to its target by
    :func:`planner.outputs.files.write_outputs`; SQLite's ``synchronous`` setting changes when it
    syncs, not what it writes. Each layer's commits waited for the disk: 0.4-0.7 s of a
    plan's ``plan.gpkg``, of which 0.1 s is work. GDAL's setting is restored after.

    Yields
    ------
    None
        Inside the block, ``OGR_SQLITE_SYNCHRONOUS`` is ``OFF``.
    """
    import pyogrio

    before = pyogrio.get_gdal_config_option(_SYNCHRONOUS)
    pyogrio.set_gdal_config_options({_SYNCHRONOUS: "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({_SYNCHRONOUS: before})


#: GDAL's option for SQLite's PRAGMA synchronous
_SYNCHRONOUS = "OGR_SQLITE_SYNCHRONOUS"


def shapefile_files(layers: dict[str, gpd.GeoDataFrame], crs: pyproj.CRS, folder: str = "shp") -> dict[str, bytes]:
    """
    One shapefile per layer (``.shp``, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``) and ``fields.csv``, under ``folder``.

    Attributes are UTF-8 and every ``.cpg`` says so (ArcGIS then reads Chinese names
    right); field names follow :func:`shp_field_names`, listed with the full column
    names in ``fields.csv``; text longer than dBase's 254 bytes is cut at a character.

    Parameters
    ----------
    layers
        Layer name -> features.
    crs
        The CRS of every layer (written to each ``.prj``).
    folder
        The subfolder of the output folder.

    Returns
    -------
    files
        ``folder/name.ext`` -> bytes, for :func:`planner.outputs.files.write_outputs`.
    """
    files: dict[str, bytes] = {}
    rows = []
    with tempfile.TemporaryDirectory(prefix="planner-shp-") as tmp:
        for layer, gdf in layers.items():
            columns = [c for c in gdf.columns if c != gdf.geometry.name]
            names = shp_field_names(columns)
            rows += [{"layer": layer, "field": names[c], "column": c} for c in columns]
            out = _in_crs(gdf, crs).rename(columns=names)
            for field in names.values():
                if out[field].dtype == object or pd.api.types.is_string_dtype(out[field]):
                    out[field] = [v if not isinstance(v, str) else _utf8_prefix(v, _DBF_TEXT_BYTES) for v in out[field]]
            _write_layer(out, Path(tmp) / f"{layer}.shp", layer, "ESRI Shapefile")
            cpg = Path(tmp) / f"{layer}.cpg"
            cpg.write_text("UTF-8", encoding="ascii")  # whatever GDAL wrote: the attributes are UTF-8
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                files[f"{folder}/{layer}{ext}"] = (Path(tmp) / f"{layer}{ext}").read_bytes()
    files[f"{folder}/fields.csv"] = csv_text(pd.DataFrame(rows, columns=["layer", "field", "column"])).encode()
    return files
