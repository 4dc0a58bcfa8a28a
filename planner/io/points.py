"""Reading points (or areas) from a planner's file: :func:`read_points`, whatever the file's type."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.io._common import (
    COORD_DECIMALS,
    EXCEL_SUFFIXES,
    TABLE_SUFFIXES,
    VECTOR_SUFFIXES,
    check_input_file,
    row_dict,
)
from planner.io.columns import apply_aliases, check_numeric
from planner.io.crs import parse_crs
from planner.io.tables import read_csv, read_excel, table_points
from planner.io.vectors import read_vector, vector_to_wgs84

__all__ = ["read_points"]


def read_points(
    path: str | os.PathLike[str],
    *,
    what: str,
    numeric: tuple[str, ...] = (),
    name_column: str | None = None,
    population_column: str | None = None,
    crs: str | None = None,
    polygons: bool = False,
) -> gpd.GeoDataFrame:
    """
    Read points (or areas) from a planner's table or GIS file.

    Formats, by suffix:

    * ``.csv`` / ``.txt``: a comma-separated table with a header row and a
      longitude and a latitude column (headers: see aliases below). Encodings:
      UTF-8 with or without BOM, else GB18030 (a superset of GBK, the encoding of
      Excel's "CSV" on Chinese Windows); strictly decoded, never guessed past
      that: text that is neither, or that mixes UTF-8 with another encoding, is
      refused. The encoding used is logged and kept in ``gdf.attrs["encoding"]``.
    * ``.xlsx`` / ``.xlsm``: an Excel workbook (read with openpyxl), the first sheet
      or the one named after ``#``: ``stations.xlsx#Sheet2``. Title rows above the
      header are skipped (the header is the first of the top 10 rows that names a
      longitude and a latitude column); blank rows are dropped.
      ``gdf.attrs["sheet"]`` holds the sheet read.
    * ``.geojson`` / ``.json``, ``.gpkg``, ``.shp``: features; polygons and lines are
      replaced by a point on their surface (polygons are kept with ``polygons=True``). A
      shapefile with a ``.cpg`` sidecar is decoded as the ``.cpg`` says; without one its
      attributes are decoded as
      UTF-8, else GB18030 (GDAL's own fallback, Latin-1, turns Chinese into
      mojibake), recorded in ``gdf.attrs["encoding"]``.

    Columns are aliased by :data:`planner.config.COLUMN_ALIASES` (headers matched
    case-insensitively, blanks stripped): ``名称`` / ``站名`` / ``NAME``... become
    ``name``, ``人口`` / ``常住人口``... ``population``, ``成本`` / ``造价``... ``cost``,
    ``层级`` / ``级别`` ``tier``, ``站点编号`` ``site_id``, ``id`` / ``编号`` ``demand_id``
    when ``what == "demand"`` and ``site_id`` otherwise; ``经度`` / ``lng`` / ``x``
    and ``纬度`` / ``y`` locate the coordinates of a table. A column is renamed only
    when the canonical column is absent; two different headers for a column listed
    in ``numeric`` are refused, for any other column the first in the table's order
    is used and a warning names both. A column that becomes ``site_id`` /
    ``demand_id`` through an alias must hold one id per row (entirely empty: left
    as it is; partly empty or repeated: refused). ``name``, ``site_id`` and
    ``demand_id`` are read as text (``"007"`` stays ``"007"``, Excel's ``7.0`` is
    ``"7"``).

    Two points at the same spot (to 1e-7 degree) give a :class:`UserWarning`
    naming both rows.

    Parameters
    ----------
    path
        The file; for Excel, ``book.xlsx#Sheet name`` reads that sheet.
    what
        What the file holds (``"demand"``, ``"candidates"``...), used in messages
        and to alias generic id headers (see above).
    numeric
        Columns that must be present (after aliasing) and hold non-negative numbers;
        they come back as floats.
    name_column
        A column to use as ``name`` (matched exactly, else case-insensitively);
        replaces any ``name`` column and the aliases.
    population_column
        A column to use as ``population``, likewise.
    crs
        What the coordinates are. ``None`` (default), ``"wgs84"``: lon/lat in WGS-84
        (for a GIS file: its declared CRS, WGS-84 if none). ``"gcj02"`` (aliases
        ``gcj``, ``gaode``, ``amap``, ``tencent``...) or ``"bd09"`` (``baidu``...):
        lon/lat in those Chinese datums, converted with
        :func:`planner.io.datums.to_wgs84`. Anything else is a CRS pyproj understands,
        e.g. ``"EPSG:4547"`` (CGCS2000 / 3-degree Gauss-Kruger CM 114E): a table's
        ``x`` / ``y`` (else lon / lat) columns hold coordinates in it. A GIS file
        that declares a projected CRS keeps it (a different ``crs`` is ignored with
        a warning); one that declares a geographic CRS (WGS-84, CGCS2000) or none
        takes ``crs`` instead (GCJ-02 data is routinely saved with a WGS-84 ``.prj``).
    polygons
        Keep polygons and multipolygons of a GIS file as they are (areas such as
        community boundaries); lines still become points.

    Returns
    -------
    points
        EPSG:4326 points, with the file's other columns (aliased); the row order of
        the file. ``points.attrs`` records how the file was read: ``"encoding"``
        (CSV; shapefile: its ``.cpg`` or the encoding found), ``"sheet"`` (Excel)
        and ``"crs"`` (the ``crs`` given, if any).

    Raises
    ------
    InputError
        Missing or unreadable file (encoding, corrupt or truncated workbook, a
        shapefile without its ``.dbf``), missing sheet, missing or ambiguous
        columns, text where numbers belong, an unknown ``crs``, coordinates out of
        range (swapped lon/lat), projected coordinates without ``crs``, points
        outside the area of the ``crs`` given (a wrong code, swapped x / y), no rows.
        Row numbers in messages count data rows from 1 (the header not counted).
    """
    p, sheet = _split_sheet(Path(path))
    src = parse_crs(p, crs)
    check_input_file(
        p,
        not_found=f"{p}: {what} file not found; expected a CSV (lon, lat{''.join(', ' + c for c in numeric)}), "
        "Excel, GeoJSON, GPKG or SHP file",
        folder=f"{p}: {what} file is a folder; expected a CSV, Excel, GeoJSON, GPKG or SHP file",
        empty=f"{p}: {what} file is empty; expected a header and rows",
    )
    suffix = p.suffix.lower()
    explicit = {"name": name_column, "population": population_column}
    attrs: dict[str, str] = {}
    if suffix in TABLE_SUFFIXES or suffix in EXCEL_SUFFIXES:
        if suffix in TABLE_SUFFIXES:
            df, attrs["encoding"] = read_csv(p, what, numeric, explicit)
        else:
            df, attrs["sheet"] = read_excel(p, sheet, what)
        gdf = table_points(p, df, what, numeric, explicit, src)
    elif suffix in VECTOR_SUFFIXES:
        gdf, encoding = read_vector(p, what)
        if encoding:
            attrs["encoding"] = encoding
        gdf = apply_aliases(p, gdf, what, numeric, explicit)
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        check_numeric(p, gdf, numeric, what)
        gdf = vector_to_wgs84(p, gdf, src)
        not_points = ~gdf.geometry.geom_type.isin(["Point", "Polygon", "MultiPolygon"] if polygons else ["Point"])
        if not_points.any():
            gdf.loc[not_points, "geometry"] = gdf.loc[not_points].geometry.representative_point()
    elif suffix == ".xls":
        raise InputError(
            f"{p}: Excel 97-2003 workbooks ('.xls') are not read; expected {what} as .xlsx "
            "(in Excel: Save As, Excel Workbook) or CSV"
        )
    else:
        raise InputError(
            f"{p}: unknown {what} file type {suffix!r}; expected .csv, .geojson or .gpkg (also .xlsx, .shp)"
        )
    if len(gdf) == 0:
        raise InputError(f"{p}: no {what} rows (header only?); expected at least one point")
    spots = gdf.geometry
    areas = ~spots.geom_type.isin(["Point"]).to_numpy()
    if areas.any():
        spots = spots.representative_point()
    x = spots.x.to_numpy()
    y = spots.y.to_numpy()
    bad = ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        hint = " (lon and lat swapped?)" if abs(x[i]) <= 90 and abs(y[i]) <= 180 else ""
        raise InputError(
            f"{p}: row {row_dict(gdf.index[i])} has lon={x[i]:g}, lat={y[i]:g}, "
            f"outside lon [-180, 180] / lat [-90, 90]{hint}"
        )
    if not areas.any():
        _warn_duplicates(p, gdf, x, y)
    gdf = gdf.reset_index(drop=True)
    if src is not None:
        attrs["crs"] = src.label
    gdf.attrs.update(attrs)
    return gdf


def _split_sheet(p: Path) -> tuple[Path, str | None]:
    """``book.xlsx#Sheet2`` -> (``book.xlsx``, ``"Sheet2"``), unless a file of that very name exists."""
    if "#" in p.name and not p.exists():
        base, sheet = p.name.rsplit("#", 1)
        if Path(base).suffix.lower() in (*EXCEL_SUFFIXES, ".xls"):
            return p.with_name(base), sheet
    return p, None


def _warn_duplicates(p: Path, gdf: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> None:
    """One :class:`UserWarning` naming the first two rows at the same spot (to 1e-7 degree)."""
    spots = pd.DataFrame({"x": np.round(x, COORD_DECIMALS), "y": np.round(y, COORD_DECIMALS)})
    again = spots.duplicated(keep="first").to_numpy()
    if not again.any():
        return
    j = int(np.flatnonzero(again)[0])
    i = int(
        np.flatnonzero((spots["x"].to_numpy() == spots["x"].iat[j]) & (spots["y"].to_numpy() == spots["y"].iat[j]))[0]
    )

    def label(k: int) -> str:
        name = gdf["name"].iloc[k] if "name" in gdf else None
        return f"row {row_dict(gdf.index[k])}" + (f" {str(name)!r}" if isinstance(name, str) and name.strip() else "")

    more = int(again.sum()) - 1
    extra = f" (and {more} more row{'s' if more > 1 else ''} at a spot already used)" if more else ""
    warnings.warn(
        f"{p}: {label(i)} and {label(j)} are at the same spot, lon={_deg(x[j])}, lat={_deg(y[j])}{extra}; "
        "a row entered twice?",
        UserWarning,
        stacklevel=3,
    )


def _deg(value: float) -> str:
    """Degrees to 1e-7, without trailing zeros."""
    return f"{value:.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")
