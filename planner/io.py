"""Reading the planner's own files, and writing outputs atomically and deterministically."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .config import COLUMN_ALIASES, ID_ALIASES
from .datums import datum_name
from .errors import DataError, InputError, PlannerError

log = logging.getLogger("planner.io")

#: decimals of degrees written to GeoJSON (1e-7 deg is about 1 cm)
COORD_DECIMALS = 7

_TABLES = (".csv", ".txt")
_EXCEL = (".xlsx", ".xlsm")
_VECTORS = (".geojson", ".json", ".gpkg", ".shp")

#: ``crs`` values (lower case, without blanks, ``-`` and ``_``) meaning lon/lat in a
#: Chinese datum, or plain WGS-84 lon/lat
_CRS_EXPECTED = "expected wgs84, gcj02, bd09 or an EPSG code such as EPSG:4547"
#: a point this far (degrees) outside the area of use of the CRS its file was given
#: in is refused (a wrong code or swapped axes)
_AREA_MARGIN_DEG = 1.0
#: columns read as text from a CSV (ids keep their leading zeros: "007" is not 7)
_TEXT_COLUMNS = ("name", "site_id", "demand_id")


def _pick(columns: Iterable[str], names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower().strip(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


@dataclass(frozen=True)
class _SourceCRS:
    """What ``read_points(crs=...)`` says the coordinates are."""

    label: str  # as the caller wrote it
    datum: str | None = None  # "wgs84", "gcj02" or "bd09": lon/lat in that datum
    crs: pyproj.CRS | None = None  # any other coordinate reference system

    @property
    def projected(self) -> bool:
        return self.crs is not None and not self.crs.is_geographic


def _parse_crs(p: Path, crs: str | None) -> _SourceCRS | None:
    if crs is None:
        return None
    datum = datum_name(str(crs))
    if datum is not None:
        return _SourceCRS(str(crs), datum=datum)
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError, ValueError):
        raise InputError(f"{p}: unknown input CRS {crs!r} (--input-crs); {_CRS_EXPECTED}") from None
    if parsed.is_geographic and parsed.to_epsg() == 4326:
        return _SourceCRS(str(crs), datum="wgs84")
    if not (parsed.is_geographic or parsed.is_projected):
        raise InputError(f"{p}: input CRS {crs!r} is {parsed.type_name}, not a lon/lat or projected CRS; {_CRS_EXPECTED}")
    return _SourceCRS(str(crs), crs=parsed)


def read_points(
    path: str | os.PathLike,
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
      replaced by a point on their surface (polygons are kept with ``polygons=True``). A shapefile with a ``.cpg`` sidecar is
      decoded as the ``.cpg`` says; without one its attributes are decoded as
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
        :func:`planner.datums.to_wgs84`. Anything else is a CRS pyproj understands,
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
    src = _parse_crs(p, crs)
    if not p.exists():
        raise InputError(f"{p}: {what} file not found; expected a CSV (lon, lat{''.join(', ' + c for c in numeric)}), "
                         "Excel, GeoJSON, GPKG or SHP file")
    if p.is_dir():
        raise InputError(f"{p}: {what} file is a folder; expected a CSV, Excel, GeoJSON, GPKG or SHP file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: {what} file is empty; expected a header and rows")
    suffix = p.suffix.lower()
    explicit = {"name": name_column, "population": population_column}
    attrs: dict[str, str] = {}
    if suffix in _TABLES or suffix in _EXCEL:
        if suffix in _TABLES:
            df, attrs["encoding"] = _read_csv(p, what, numeric, explicit)
        else:
            df, attrs["sheet"] = _read_excel(p, sheet, what)
        gdf = _table_points(p, df, what, numeric, explicit, src)
    elif suffix in _VECTORS:
        gdf, encoding = _read_vector(p, what)
        if encoding:
            attrs["encoding"] = encoding
        gdf = _apply_aliases(p, gdf, what, numeric, explicit)
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        _check_numeric(p, gdf, numeric, what)
        gdf = _vector_to_wgs84(p, gdf, src)
        not_points = ~gdf.geometry.geom_type.isin(["Point", "Polygon", "MultiPolygon"] if polygons else ["Point"])
        if not_points.any():
            gdf.loc[not_points, "geometry"] = gdf.loc[not_points].geometry.representative_point()
    elif suffix == ".xls":
        raise InputError(f"{p}: Excel 97-2003 workbooks ('.xls') are not read; expected {what} as .xlsx "
                         "(in Excel: Save As, Excel Workbook) or CSV")
    else:
        raise InputError(f"{p}: unknown {what} file type {suffix!r}; expected .csv, .geojson or .gpkg (also .xlsx, .shp)")
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
            f"{p}: row {_row(gdf.index[i])} has lon={x[i]:g}, lat={y[i]:g}, outside lon [-180, 180] / lat [-90, 90]{hint}"
        )
    if not areas.any():
        _warn_duplicates(p, gdf, x, y)
    gdf = gdf.reset_index(drop=True)
    if src is not None:
        attrs["crs"] = src.label
    gdf.attrs.update(attrs)
    return gdf


def _row(label: object) -> int:
    """1-based data row number of an index label (the frames keep the file's 0-based row positions)."""
    return int(label) + 1  # type: ignore[call-overload]


def _split_sheet(p: Path) -> tuple[Path, str | None]:
    """``book.xlsx#Sheet2`` -> (``book.xlsx``, ``"Sheet2"``), unless a file of that very name exists."""
    if "#" in p.name and not p.exists():
        base, sheet = p.name.rsplit("#", 1)
        if Path(base).suffix.lower() in _EXCEL + (".xls",):
            return p.with_name(base), sheet
    return p, None


# --------------------------------------------------------------------------- encodings

_UTF8_CJK = re.compile(rb"[\xe3-\xe9][\x80-\xbf]{2}")  # U+3000..U+9FFF in UTF-8


def _decode(p: Path, data: bytes, what: str, advice: str) -> tuple[str, str]:
    """
    Decode ``data`` as UTF-8 (BOM or not), else GB18030; return (text, encoding).

    Refuses, naming the file and both encodings, text that is neither, and text
    that mixes UTF-8 with another encoding (GB18030 accepts many UTF-8 byte runs
    and would turn those parts into mojibake without a word).
    """
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{p}: UTF-16 text (Excel's 'Unicode Text'), not UTF-8 or GB18030; tried utf-8 and gb18030; "
                         f"expected {what} in UTF-8 or GBK: {advice}")
    lines = data.splitlines()
    bad_utf8 = next((n for n, line in enumerate(lines, 1) if not _decodes(line, "utf-8")), 1)
    utf8_lines = strong = 0
    nonascii = 0
    for line in lines:
        if line.isascii():
            continue
        nonascii += 1
        if _decodes(line, "utf-8"):
            cjk = len(_UTF8_CJK.findall(line))
            utf8_lines += cjk >= 2
            strong += cjk >= 3
    if strong or (utf8_lines and utf8_lines >= 0.05 * nonascii):
        good = next(n for n, line in enumerate(lines, 1)
                    if not line.isascii() and _decodes(line, "utf-8") and len(_UTF8_CJK.findall(line)) >= 2)
        raise InputError(f"{p}: mixes UTF-8 with another encoding (line {good} is UTF-8, line {bad_utf8} is not); "
                         f"tried utf-8 and gb18030; expected {what} in one encoding: {advice}")
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    n, line = next(((n, line) for n, line in enumerate(lines, 1) if not _decodes(line, "gb18030")), (1, data))
    byte = next((b for b in line if b >= 0x80), 0)
    try:
        line.decode("gb18030")
    except UnicodeDecodeError as exc:
        byte = line[exc.start]
    raise InputError(f"{p}: not UTF-8 or GB18030 (GBK) text (line {n}, byte 0x{byte:02x}); tried utf-8 and gb18030; "
                     f"expected {what} in UTF-8 or GBK: {advice}")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


# --------------------------------------------------------------------------- column aliases


def _aliases(
    p: Path, columns: Iterable[object], what: str, numeric: tuple[str, ...], explicit: dict[str, str | None]
) -> dict[object, str]:
    """
    The renames ``{header: canonical name}`` of :data:`COLUMN_ALIASES` for ``columns``.

    Coordinates (``lon``, ``lat``) are left alone; explicit columns (``name_column``,
    ``population_column``) win over aliases.
    """
    columns = list(columns)
    table = dict(COLUMN_ALIASES)
    id_column = "demand_id" if what == "demand" else "site_id"
    table[id_column] = table[id_column] + ID_ALIASES
    lower: dict[str, object] = {}
    for c in columns:
        lower.setdefault(str(c).strip().lower(), c)
    renames: dict[object, str] = {}
    for canonical, given in explicit.items():
        if given is None:
            continue
        col = given if given in columns else lower.get(str(given).strip().lower())
        if col is None:
            found = ", ".join(str(c) for c in columns if c != "geometry") or "nothing"
            option = "name_column" if canonical == "name" else "population_column"
            raise InputError(f"{p}: column {given!r} ({option}) missing (found: {found}); expected one of the columns found")
        if canonical in columns and col != canonical:
            renames[canonical] = f"{canonical}_original"  # keep it, under another name
        renames[col] = canonical
    for canonical, headers in table.items():
        if canonical in ("lon", "lat") or explicit.get(canonical) is not None or canonical in columns:
            continue
        hits = list(dict.fromkeys(lower[h] for h in headers if h in lower and lower[h] not in renames))
        if not hits:
            continue
        if len(hits) > 1:
            both = " and ".join(repr(str(h)) for h in hits[:2])
            if canonical in numeric:
                hint = " (population_column)" if canonical == "population" else ""
                raise InputError(f"{p}: columns {both} could both be {canonical}; expected one: rename or remove "
                                 f"the other{hint}")
            warnings.warn(f"{p}: columns {both} could both be {canonical}; using {str(hits[0])!r}", UserWarning,
                          stacklevel=4)
        renames[hits[0]] = canonical
    return renames


def _apply_aliases(
    p: Path, df: pd.DataFrame, what: str, numeric: tuple[str, ...], explicit: dict[str, str | None]
) -> pd.DataFrame:
    """
    ``df`` with its aliased columns renamed (see :func:`_aliases`).

    A column that becomes ``site_id`` / ``demand_id`` through an alias must name
    each row once: empty throughout, it is left as it was; partly empty or
    repeated, it is refused (the callers would drop or merge rows by id).
    """
    renames = _aliases(p, df.columns, what, numeric, explicit)
    for col, canonical in list(renames.items()):
        if canonical not in ("site_id", "demand_id"):
            continue
        values = df[col].astype(object).map(_cell_text)
        empty = values.isna()
        if empty.all():
            del renames[col]
            continue
        again = values.duplicated(keep="first").to_numpy() & ~empty.to_numpy()
        if empty.any() or again.any():
            if empty.any():
                problem = f"is empty in row {_row(df.index[int(np.flatnonzero(empty.to_numpy())[0])])}"
            else:
                j = int(np.flatnonzero(again)[0])
                i = int(np.flatnonzero((values == values.iat[j]).to_numpy())[0])
                problem = f"repeats {values.iat[j]!r} in rows {_row(df.index[i])} and {_row(df.index[j])}"
            raise InputError(f"{p}: column {str(col)!r} (read as {canonical}) {problem}; "
                             f"expected one {canonical} per row (or rename the column)")
    return df.rename(columns=renames)


# --------------------------------------------------------------------------- tables (CSV, Excel)


def _read_csv(p: Path, what: str, numeric: tuple[str, ...], explicit: dict[str, str | None]) -> tuple[pd.DataFrame, str]:
    text, encoding = _decode(p, p.read_bytes(), what, "save it as 'CSV UTF-8' (Excel: Save As, CSV UTF-8)")
    log.info("%s: read as %s", p, encoding)
    try:
        header = pd.read_csv(StringIO(text), nrows=0).columns
        with warnings.catch_warnings():  # ambiguous headers are reported once, by _table_points
            warnings.simplefilter("ignore")
            renames = _aliases(p, header, what, numeric, explicit)
        as_text = [c for c in header if c in _TEXT_COLUMNS and c not in renames or renames.get(c) in _TEXT_COLUMNS]
        df = pd.read_csv(StringIO(text), dtype=dict.fromkeys(as_text, str))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    return df, encoding


def _read_excel(p: Path, sheet: str | None, what: str) -> tuple[pd.DataFrame, str]:
    try:
        book = pd.ExcelFile(p, engine="openpyxl")
    except ImportError:
        raise PlannerError(f"{p}: reading Excel files needs openpyxl; install it with: pip install openpyxl") from None
    except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike: the file is not a workbook
        ole = p.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
        hint = "; an Excel 97-2003 or password-protected workbook?" if ole else ""
        raise InputError(f"{p}: not a readable '.xlsx' workbook ({_reason(exc)}{hint}); expected an Excel file of "
                         f"{what} with a header row (lon, lat...)") from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is None:
            if not names:
                raise InputError(f"{p}: workbook has no sheets; expected {what} in its first sheet")
            sheet = names[0]
        elif sheet not in names:
            raise InputError(f"{p}: no sheet {sheet!r} (found: {', '.join(names)}); expected {p.name}#<one of those>")
        try:
            raw = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
        except Exception as exc:  # noqa: BLE001 - a damaged sheet inside a readable zip
            raise InputError(f"{p}: sheet {sheet!r} is not readable ({_reason(exc)}); expected a sheet of {what}") from None
    log.info("%s: read sheet %r", p, sheet)
    raw = raw.reset_index(drop=True).dropna(how="all").dropna(axis=1, how="all")
    if len(raw) == 0:
        raise InputError(f"{p}: sheet {sheet!r} is empty; expected a header and rows of {what}")
    head = raw.index[0]
    for k in raw.index[:10]:
        cells = [v for v in raw.loc[k] if isinstance(v, str)]
        if _pick(cells, COLUMN_ALIASES["lon"]) and _pick(cells, COLUMN_ALIASES["lat"]):
            head = k
            break
    header = [str(v).strip() if not _missing(v) else f"Unnamed: {j}" for j, v in enumerate(raw.loc[head])]
    df = raw.loc[raw.index > head].copy()
    df.columns = header
    # labels: data rows from 0, blank rows counted (row N of a message is sheet row N + the header's row)
    df.index = df.index - head - 1
    return df.infer_objects(), sheet


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _reason(exc: BaseException) -> str:
    text = (str(exc).splitlines() or [""])[0][:80]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _table_points(
    p: Path, df: pd.DataFrame, what: str, numeric: tuple[str, ...], explicit: dict[str, str | None],
    src: _SourceCRS | None,
) -> gpd.GeoDataFrame:
    df = _apply_aliases(p, df, what, numeric, explicit)
    for col in _TEXT_COLUMNS:
        if col in df:
            df[col] = df[col].astype(object).map(_cell_text)
    projected = src is not None and src.projected
    order = (("x",), ("y",)) if projected else ((), ())
    lon = _pick(df.columns, order[0] + COLUMN_ALIASES["lon"])
    lat = _pick(df.columns, order[1] + COLUMN_ALIASES["lat"])
    names = ("x", "y") if projected else ("lon", "lat")
    missing = [n for n, c in zip(names, (lon, lat)) if c is None]
    missing += [c for c in numeric if _pick(df.columns, (c,)) is None]
    if missing:
        found = ", ".join(map(str, df.columns)) or "nothing"
        expected = ", ".join(names + numeric)
        hint = " (or 经度, 纬度" + (", 人口" if "population" in numeric else "") + ")" if not projected else ""
        raise InputError(f"{p}: column {', '.join(repr(m) for m in missing)} missing (found: {found}); "
                         f"expected {expected}{hint}")
    coords = {}
    for name, col in (("lon", lon), ("lat", lat)):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna() | df[col].isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{p}: row {_row(df.index[i])}, column {col!r} = {_value(df[col], i)!r}; expected a number")
        coords[name] = values.to_numpy(dtype=float)
    rest = df.drop(columns=[lon, lat])
    gdf = gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(coords["lon"], coords["lat"]), crs="EPSG:4326")
    _check_numeric(p, gdf, numeric, what)
    if len(gdf) == 0:
        return gdf
    lon_deg, lat_deg = _xy_to_wgs84(p, coords["lon"], coords["lat"], gdf.index.to_numpy(), src)
    gdf["geometry"] = gpd.points_from_xy(lon_deg, lat_deg)
    return gdf.set_crs("EPSG:4326", allow_override=True)


def _cell_text(value: object) -> object:
    """An id or name cell as text (Excel's 7.0 is "7", not "7.0"); empty cells stay missing."""
    if value is None or value is pd.NA or isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return value
        if float(value).is_integer():
            return str(int(value))
    return str(value)


def _value(column: pd.Series, i: int) -> object:
    """Cell ``i`` of ``column`` as a plain Python value (numpy 2 scalars print as np.int64(...))."""
    return column.iloc[i:i + 1].tolist()[0]


def _check_numeric(p: Path, gdf: gpd.GeoDataFrame, numeric: tuple[str, ...], what: str) -> None:
    for name in numeric:
        col = _pick(gdf.columns, (name,))
        if col is None:
            found = ", ".join(str(c) for c in gdf.columns if c != "geometry") or "nothing"
            aliases = [a for a in COLUMN_ALIASES.get(name, ()) if a != name][:2]
            hint = f" (or {', '.join(aliases)})" if aliases else ""
            raise InputError(f"{p}: column {name!r} missing (found: {found}); expected {name}{hint} for each {what} point")
        values = pd.to_numeric(gdf[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{p}: row {_row(gdf.index[i])}, column {col!r} = {_value(gdf[col], i)!r}; "
                             "expected a non-negative number")
        gdf[name] = values.to_numpy(dtype=float)
        if col != name:
            gdf.drop(columns=[col], inplace=True)


# --------------------------------------------------------------------------- GIS files


def _read_vector(p: Path, what: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read a GeoJSON / GPKG / shapefile; return it and the encoding of a shapefile's attributes."""
    suffix = p.suffix.lower()
    encoding = None
    options = {}
    if suffix == ".shp":
        parts = {ext: q for ext in (".dbf", ".shx", ".cpg") if (q := _sidecar(p, ext)) is not None}
        for part, role in ((".dbf", "attributes"), (".shx", "index")):
            if part not in parts:
                raise InputError(f"{p}: its {part} file ({role}) is missing; expected the shapefile's .shp, .shx, "
                                 ".dbf (and .prj, .cpg) files side by side")
        if ".cpg" in parts:
            encoding = parts[".cpg"].read_text(encoding="ascii", errors="replace").strip() or None
        else:
            _, encoding = _decode(parts[".dbf"], _dbf_text(parts[".dbf"]), f"{what} attributes",
                                  "add a .cpg file naming the encoding (e.g. GBK), or export the shapefile again")
            encoding = "utf-8" if encoding.startswith("utf-8") else encoding
            options["encoding"] = encoding
            log.info("%s: no .cpg; attributes read as %s", p, encoding)
    try:
        gdf = gpd.read_file(p, **options)
    except Exception as exc:  # noqa: BLE001 - GDAL, JSON and decoding errors alike: the file is unreadable
        raise InputError(f"{p}: not a readable {suffix} file ({type(exc).__name__}); expected {what} points") from None
    return gdf, encoding


def _sidecar(shp: Path, ext: str) -> Path | None:
    """The ``.dbf`` / ``.shx`` / ``.cpg`` file next to ``shp`` (either case), or ``None``."""
    for suffix in (ext, ext.upper()):
        q = shp.with_suffix(suffix)
        if q.exists():
            return q
    return None


def _dbf_text(dbf: Path) -> bytes:
    """The bytes of a dBase file that hold text: its field names and its records."""
    data = dbf.read_bytes()
    if len(data) < 32:
        return b""
    header_len = int.from_bytes(data[8:10], "little")
    names = []
    for start in range(32, min(header_len, len(data)) - 31, 32):
        if data[start] == 0x0D:
            break
        names.append(data[start:start + 11].split(b"\x00", 1)[0])
    return b"\n".join(names) + b"\n" + data[header_len:].rstrip(b"\x1a")


def _vector_to_wgs84(p: Path, gdf: gpd.GeoDataFrame, src: _SourceCRS | None) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326: a declared projected CRS is kept, else ``src`` wins over the declared one."""
    declared = gdf.crs
    if declared is not None and not declared.is_geographic:
        if src is not None and not (src.crs is not None and src.crs.equals(declared)):
            warnings.warn(f"{p}: declares {declared.name} (projected); its coordinates are read in it and the "
                          f"input CRS {src.label!r} is ignored", UserWarning, stacklevel=3)
        return gdf.to_crs("EPSG:4326")
    if src is None and declared is not None and declared.to_epsg() != 4326:
        src = _SourceCRS(declared.to_string(), crs=declared)
    if len(gdf) == 0:
        return gdf.set_crs("EPSG:4326", allow_override=True)
    geoms = gdf.geometry.values
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    rows = gdf.index.to_numpy()[index]
    x, y = coords[:, 0], coords[:, 1]
    lon, lat = _xy_to_wgs84(p, x, y, rows, src)
    out = gdf.set_crs("EPSG:4326", allow_override=True)
    if lon is not x:
        moved = np.column_stack([lon, lat])
        out[out.geometry.name] = gpd.GeoSeries(shapely.transform(np.asarray(geoms), lambda _: moved),
                                               index=gdf.index, crs="EPSG:4326")
    return out


# --------------------------------------------------------------------------- coordinates


def _xy_to_wgs84(
    p: Path, x: np.ndarray, y: np.ndarray, rows: np.ndarray, src: _SourceCRS | None
) -> tuple[np.ndarray, np.ndarray]:
    """
    WGS-84 lon/lat of coordinates given in ``src`` (``None``: WGS-84 lon/lat).

    ``rows`` are the 0-based data rows of the coordinates, for messages.
    """
    if src is None or not src.projected:
        _check_lonlat(p, x, y, rows)
    if src is None or src.datum == "wgs84":
        return x, y
    if src.datum is not None:
        from .datums import to_wgs84

        lon, lat = to_wgs84(np.asarray(x, float), np.asarray(y, float), src.datum)
        return np.asarray(lon, float), np.asarray(lat, float)
    to_ll = pyproj.Transformer.from_crs(src.crs, "EPSG:4326", always_xy=True)
    lon, lat = (np.asarray(v, float) for v in to_ll.transform(x, y))
    if src.projected:
        _check_area(p, x, y, lon, lat, rows, src, to_ll)
    return lon, lat


def _check_lonlat(p: Path, x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> None:
    """Refuse coordinates that are not lon/lat: swapped (the hint) or projected metres (ask for the CRS)."""
    bad = ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    xi, yi, row = float(x[i]), float(y[i]), int(rows[i]) + 1
    if abs(xi) <= 90 and abs(yi) <= 180:
        raise InputError(f"{p}: row {row} has lon={xi:g}, lat={yi:g}, outside lon [-180, 180] / lat [-90, 90] "
                         "(lon and lat swapped?)")
    if max(abs(xi), abs(yi)) < 1000:
        raise InputError(f"{p}: row {row} has lon={xi:g}, lat={yi:g}, outside lon [-180, 180] / lat [-90, 90]")
    guess = _guess_projection(xi, yi) or "EPSG:4547 (or the code of your projection: 4547 is CGCS2000 / 3-degree " \
        "Gauss-Kruger CM 114E)"
    raise InputError(f"{p}: row {row} has x={xi:.12g}, y={yi:.12g}, which look like projected metres, not lon/lat; "
                     f"give their CRS with --input-crs {guess}")


def _guess_projection(x: float, y: float) -> str | None:
    """The likely CGCS2000 Gauss-Kruger code of an easting with its zone number in front (39512345: zone 39)."""
    for value, axis in ((x, "x"), (y, "y")):
        zone, rest = divmod(abs(value), 1_000_000)
        zone = int(zone)
        if not 0 < rest < 1_000_000 or abs(value) >= 1e8:
            continue
        if 25 <= zone <= 45:
            code, kind = 4513 + zone - 25, f"3-degree Gauss-Kruger zone {zone}"
        elif 13 <= zone <= 23:
            code, kind = 4491 + zone - 13, f"Gauss-Kruger zone {zone}"
        else:
            continue
        swapped = "; x and y look swapped (the easting is in y)" if axis == "y" else ""
        return (f"EPSG:{code} (CGCS2000 / {kind}, from the {zone} in front of {axis}; or the code of your "
                f"projection){swapped}")
    return None


def _check_area(
    p: Path, x: np.ndarray, y: np.ndarray, lon: np.ndarray, lat: np.ndarray, rows: np.ndarray, src: _SourceCRS,
    to_ll: pyproj.Transformer,
) -> None:
    """Refuse projected coordinates that land outside the area their CRS is made for."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    area = src.crs.area_of_use
    if area is not None and area.west <= area.east:
        m = _AREA_MARGIN_DEG
        ok &= (lon >= area.west - m) & (lon <= area.east + m) & (lat >= area.south - m) & (lat <= area.north + m)
    if ok.all():
        return
    i = int(np.flatnonzero(~ok)[0])
    where = f"land at lon={lon[i]:.5f}, lat={lat[i]:.5f}" if np.isfinite(lon[i]) and np.isfinite(lat[i]) else \
        "cannot be converted"
    inside = f" (lon {area.west:g}..{area.east:g}, lat {area.south:g}..{area.north:g})" if area is not None else ""
    hint = "check --input-crs"
    zone = abs(float(x[i])) // 1_000_000
    false_easting = _false_easting(src.crs)
    if area is not None:
        sx, sy = to_ll.transform(float(y[i]), float(x[i]))
        if np.isfinite(sx) and area.west - 1 <= sx <= area.east + 1 and area.south - 1 <= sy <= area.north + 1:
            hint = "x and y look swapped (Chinese survey tables put the northing in X): put the easting in x"
    if hint == "check --input-crs" and false_easting >= 1_000_000 and zone == 0:
        code = src.crs.to_epsg() or 0
        cm = f"EPSG:{4534 + code - 4513}" if 4513 <= code <= 4533 else \
            f"EPSG:{4502 + code - 4491}" if 4491 <= code <= 4501 else "the code without the zone number"
        hint = (f"x has no zone number in front ({src.label} eastings start with {int(false_easting // 1_000_000)}): "
                f"use --input-crs {cm}")
    elif hint == "check --input-crs" and abs(float(x[i])) <= 180 and abs(float(y[i])) <= 90:
        hint = f"they look like lon/lat degrees, not metres: leave out --input-crs {src.label} or give wgs84, gcj02 or bd09"
    elif hint == "check --input-crs" and false_easting < 1_000_000 and zone >= 1:
        guess = _guess_projection(float(x[i]), float(y[i]))
        hint = f"x has a zone number in front: use --input-crs {guess}" if guess else hint
    raise InputError(f"{p}: row {int(rows[i]) + 1} has x={float(x[i]):.12g}, y={float(y[i]):.12g}, which in "
                     f"{src.label} {where}, outside its area{inside}; {hint}")


def _false_easting(crs: pyproj.CRS) -> float:
    """The false easting of a projected CRS in metres (Gauss-Kruger codes with the zone number: 38500000)."""
    operation = crs.coordinate_operation
    for param in operation.params if operation is not None else ():
        if param.name.lower() == "false easting":
            return float(param.value)
    return 0.0


def _warn_duplicates(p: Path, gdf: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> None:
    """One :class:`UserWarning` naming the first two rows at the same spot (to 1e-7 degree)."""
    spots = pd.DataFrame({"x": np.round(x, COORD_DECIMALS), "y": np.round(y, COORD_DECIMALS)})
    again = spots.duplicated(keep="first").to_numpy()
    if not again.any():
        return
    j = int(np.flatnonzero(again)[0])
    i = int(np.flatnonzero((spots["x"].to_numpy() == spots["x"].iat[j]) & (spots["y"].to_numpy() == spots["y"].iat[j]))[0])

    def label(k: int) -> str:
        name = gdf["name"].iloc[k] if "name" in gdf else None
        return f"row {_row(gdf.index[k])}" + (f" {str(name)!r}" if isinstance(name, str) and name.strip() else "")

    more = int(again.sum()) - 1
    extra = f" (and {more} more row{'s' if more > 1 else ''} at a spot already used)" if more else ""
    warnings.warn(f"{p}: {label(i)} and {label(j)} are at the same spot, lon={_deg(x[j])}, lat={_deg(y[j])}{extra}; "
                  "a row entered twice?", UserWarning, stacklevel=3)


def _deg(value: float) -> str:
    """Degrees to 1e-7, without trailing zeros."""
    return f"{value:.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- writing


def geojson_text(gdf: gpd.GeoDataFrame) -> str:
    """Deterministic GeoJSON text of ``gdf`` in EPSG:4326 (fixed precision, sorted keys)."""
    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
    out = out.copy()
    geoms = out.geometry.values
    # polygons are snap-rounded to the written grid first, so that rounding
    # cannot make them invalid (GEOS keeps them valid on that grid)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if polygonal.any():
        geoms = np.asarray(geoms, dtype=object).copy()
        geoms[polygonal] = shapely.set_precision(geoms[polygonal], 10.0 ** -COORD_DECIMALS)
    out["geometry"] = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    data = json.loads(out.to_json(drop_id=True, na="null"))
    data.pop("bbox", None)
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    return json.dumps(json_safe(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def json_text(obj: object) -> str:
    """
    Deterministic, human-readable, strictly valid JSON text (sorted keys, UTF-8).

    JSON has no NaN or infinity: every non-finite number (Python or numpy, at any
    depth) is written as ``null``, which in the planner's outputs means "no value"
    (for example no candidate within the look-up range). ``allow_nan=False`` guards
    against any that slip through.

    Parameters
    ----------
    obj
        Dicts, lists, tuples, strings, numbers, ``None``, numpy scalars and arrays.

    Returns
    -------
    text
        The JSON text, ending with a newline.
    """
    return json.dumps(json_safe(obj), sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False,
                      default=_json_default) + "\n"


def json_safe(obj: object) -> object:
    """
    A copy of ``obj`` that strict JSON can hold: non-finite numbers become ``None``.

    Parameters
    ----------
    obj
        Dicts, lists, tuples, numpy arrays and scalars are walked recursively;
        ``pandas.NA`` / ``NaT`` become ``None``; anything else is returned as is.

    Returns
    -------
    clean
        Containers rebuilt as dicts and lists, numpy numbers as Python numbers.
    """
    if isinstance(obj, dict):
        return {key: json_safe(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(value) for value in obj]
    if isinstance(obj, np.ndarray):
        return [json_safe(value) for value in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


def _json_default(obj: object):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def write_outputs(out_dir: str | os.PathLike, files: dict[str, str | bytes]) -> list[Path]:
    """
    Write several files into ``out_dir`` so that none is ever half-written.

    Every file is first written to a temporary file in ``out_dir`` and then moved
    over its target with :func:`os.replace`; previous outputs stay intact until the
    new ones are complete. Text is written as UTF-8; a file whose name ends in
    ``.csv`` starts with a UTF-8 byte-order mark (added once, to text or bytes) so
    that Excel on Chinese Windows opens it as UTF-8 rather than GBK (pandas,
    Python's ``utf-8-sig`` and :func:`read_points` read it either way).

    Parameters
    ----------
    out_dir
        The folder (created if needed).
    files
        File name -> content (``str`` is encoded as UTF-8, ``bytes`` written as is but for the BOM of a ``.csv``).

    Returns
    -------
    paths
        The written paths, in the order given.

    Raises
    ------
    InputError
        If ``out_dir`` cannot be created or written.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".planner-", delete=True)
        probe.close()
    except OSError as exc:
        raise InputError(f"{out}: output folder cannot be written ({exc.strerror or exc}); choose another with --out") from None
    staged: list[tuple[str, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for name, content in files.items():
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
            staged.append((tmp, out / name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(_output_bytes(name, content))
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        raise PlannerError(f"{out}: could not write the outputs ({exc.strerror or exc}); choose another --out or free some space") from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [target for _, target in staged]


_BOM = b"\xef\xbb\xbf"


def _output_bytes(name: str, content: str | bytes) -> bytes:
    """The bytes written for output ``name``: UTF-8, with a BOM in front of a ``.csv`` (never two)."""
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if name.lower().endswith(".csv") and not data.startswith(_BOM):
        data = _BOM + data
    return data


def check_output_dir(out_dir: str | os.PathLike) -> Path:
    """Fail early (before any work) if ``out_dir`` cannot be created or written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; expected an output folder for --out")
    parent = out if out.exists() else next((q for q in out.parents if q.exists()), Path("."))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{out}: output folder cannot be written (no permission); choose another with --out")
    return out


def require_columns(df: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    """Raise :class:`DataError` naming the columns of ``df`` that are missing."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{what}: column {', '.join(map(repr, missing))} missing (found: {', '.join(map(str, df.columns))})")


def read_cost_matrix(path: str | os.PathLike):
    """
    Read a long-format travel-time file ``demand_id,site_id,minutes``.

    Returns
    -------
    minutes, demand_ids, site_ids
        CSR matrix (demand x sites, stored entries are minutes; repeated pairs keep
        the shortest) and the row / column labels in sorted order.
    """
    import scipy.sparse as sp

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: cost matrix file not found; expected a CSV with demand_id,site_id,minutes")
    try:
        df = pd.read_csv(p, dtype={"demand_id": str, "site_id": str}, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]}); expected demand_id,site_id,minutes") from None
    missing = [c for c in ("demand_id", "site_id", "minutes") if c not in df.columns]
    if missing:
        raise InputError(f"{p}: column {', '.join(map(repr, missing))} missing (found: {', '.join(map(str, df.columns))}); "
                         "expected demand_id,site_id,minutes")
    if len(df) == 0:
        raise InputError(f"{p}: no rows (header only?); expected demand_id,site_id,minutes rows")
    minutes = pd.to_numeric(df["minutes"], errors="coerce")
    bad = minutes.isna() | (minutes < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{p}: row {i + 1}, column 'minutes' = {df['minutes'].iloc[i:i + 1].tolist()[0]!r}; expected a non-negative number")
    demand_ids = np.array(sorted(df["demand_id"].unique()))
    site_ids = np.array(sorted(df["site_id"].unique()))
    rows = np.searchsorted(demand_ids, df["demand_id"].to_numpy())
    cols = np.searchsorted(site_ids, df["site_id"].to_numpy())
    order = np.lexsort((minutes.to_numpy(), cols, rows))
    r, c, m = rows[order], cols[order], minutes.to_numpy(float)[order]
    first = np.ones(len(r), bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    matrix = sp.csr_matrix((m[first], (r[first], c[first])), shape=(len(demand_ids), len(site_ids)))
    return matrix, demand_ids, site_ids


def read_weights(path: str | os.PathLike) -> pd.Series:
    """Read ``demand_id,population``; returns population indexed by demand_id (str)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: weights file not found; expected a CSV with demand_id,population")
    try:
        df = pd.read_csv(p, dtype={"demand_id": str}, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]}); expected demand_id,population") from None
    missing = [c for c in ("demand_id", "population") if c not in df.columns]
    if missing:
        raise InputError(f"{p}: column {', '.join(map(repr, missing))} missing (found: {', '.join(map(str, df.columns))}); "
                         "expected demand_id,population")
    pop = pd.to_numeric(df["population"], errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{p}: row {i + 1}, column 'population' = {df['population'].iloc[i:i + 1].tolist()[0]!r}; expected a non-negative number")
    if df["demand_id"].duplicated().any():
        raise InputError(f"{p}: demand_id {df.loc[df['demand_id'].duplicated(), 'demand_id'].iloc[0]!r} appears twice")
    return pd.Series(pop.to_numpy(float), index=df["demand_id"].to_numpy())
