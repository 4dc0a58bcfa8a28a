"""Reading the planner's own files, and writing outputs atomically and deterministically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import DataError, InputError, PlannerError

_LON = ("lon", "lng", "longitude", "x")
_LAT = ("lat", "latitude", "y")

#: decimals of degrees written to GeoJSON (1e-7 deg is about 1 cm)
COORD_DECIMALS = 7


def _pick(columns: Iterable[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def read_points(path: str | os.PathLike, *, what: str, numeric: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """
    Read points from a CSV (``lon``, ``lat`` columns), GeoJSON or GeoPackage file.

    Polygons and lines are replaced by a point on their surface.

    Parameters
    ----------
    path
        The file.
    what
        What the file holds (``"demand"``, ``"candidates"``...), used in messages.
    numeric
        Columns that must be present and hold non-negative numbers.

    Returns
    -------
    points
        EPSG:4326 points, with the file's other columns; the row order of the file.

    Raises
    ------
    InputError
        Missing or unreadable file, missing columns, text where numbers belong,
        coordinates out of range (swapped lon/lat), no rows.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: {what} file not found; expected a CSV (lon, lat{''.join(', ' + c for c in numeric)}), GeoJSON or GPKG file")
    if p.is_dir():
        raise InputError(f"{p}: {what} file is a folder; expected a CSV, GeoJSON or GPKG file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: {what} file is empty; expected a header and rows")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        gdf = _read_csv_points(p, what, numeric)
    elif suffix in (".geojson", ".json", ".gpkg", ".shp"):
        try:
            gdf = gpd.read_file(p)
        except Exception as exc:
            raise InputError(f"{p}: not a readable {suffix} file ({type(exc).__name__}); expected {what} points") from None
        if gdf.crs is None:
            gdf = gdf.set_crs("EPSG:4326")
        gdf = gdf.to_crs("EPSG:4326")
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        not_points = ~gdf.geometry.geom_type.isin(["Point"])
        if not_points.any():
            gdf.loc[not_points, "geometry"] = gdf.loc[not_points].geometry.representative_point()
        _check_numeric(p, gdf, numeric, what)
    else:
        raise InputError(f"{p}: unknown {what} file type {suffix!r}; expected .csv, .geojson or .gpkg")
    if len(gdf) == 0:
        raise InputError(f"{p}: no {what} rows (header only?); expected at least one point")
    x = gdf.geometry.x.to_numpy()
    y = gdf.geometry.y.to_numpy()
    bad = ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        hint = " (lon and lat swapped?)" if abs(x[i]) <= 90 and abs(y[i]) <= 180 else ""
        raise InputError(
            f"{p}: row {i + 1} has lon={x[i]:g}, lat={y[i]:g}, outside lon [-180, 180] / lat [-90, 90]{hint}"
        )
    return gdf.reset_index(drop=True)


def _read_csv_points(p: Path, what: str, numeric: tuple[str, ...]) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(p, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text; expected a UTF-8 CSV of {what}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    lon, lat = _pick(df.columns, _LON), _pick(df.columns, _LAT)
    missing = [n for n, c in (("lon", lon), ("lat", lat)) if c is None]
    missing += [c for c in numeric if _pick(df.columns, (c,)) is None]
    if missing:
        found = ", ".join(map(str, df.columns)) or "nothing"
        expected = ", ".join(("lon", "lat") + numeric)
        raise InputError(f"{p}: column {', '.join(repr(m) for m in missing)} missing (found: {found}); expected {expected}")
    coords = {}
    for name, col in (("lon", lon), ("lat", lat)):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna() | df[col].isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{p}: row {i + 1}, column {col!r} = {df[col].iloc[i:i + 1].tolist()[0]!r}; expected a number")
        coords[name] = values.to_numpy(dtype=float)
    rest = df.drop(columns=[lon, lat])
    gdf = gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(coords["lon"], coords["lat"]), crs="EPSG:4326")
    _check_numeric(p, gdf, numeric, what)
    return gdf


def _check_numeric(p: Path, gdf: gpd.GeoDataFrame, numeric: tuple[str, ...], what: str) -> None:
    for name in numeric:
        col = _pick(gdf.columns, (name,))
        if col is None:
            found = ", ".join(c for c in gdf.columns if c != "geometry") or "nothing"
            raise InputError(f"{p}: column {name!r} missing (found: {found}); expected {name} for each {what} point")
        values = pd.to_numeric(gdf[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{p}: row {i + 1}, column {col!r} = {gdf[col].iloc[i:i + 1].tolist()[0]!r}; expected a non-negative number")
        gdf[name] = values.to_numpy(dtype=float)
        if col != name:
            gdf.drop(columns=[col], inplace=True)


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
    new ones are complete.

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
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
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
