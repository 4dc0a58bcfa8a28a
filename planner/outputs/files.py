"""Writing outputs: deterministic GeoJSON, JSON and CSV text, and files written atomically into a folder."""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import InputError, PlannerError
from planner.io._common import COORD_DECIMALS
from planner.io.records import FORMULA_START, text_column

# also text whose apostrophes come before such a character ("'=x"): the readers drop one, and read it back as it was
_FORMULA = "^'*[" + re.escape(FORMULA_START) + "]"
# text that is a plain number ("-5", "+1.5e3") opens as that number, never as a formula
_PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"

__all__ = [
    "check_output_dir",
    "csv_text",
    "geojson_text",
    "json_safe",
    "json_text",
    "lonlat_rounded",
    "write_outputs",
    "xlsx_bytes",
]


def geojson_text(gdf: gpd.GeoDataFrame) -> str:
    """
    Deterministic GeoJSON text of ``gdf`` in EPSG:4326 (fixed precision, sorted keys).

    Parameters
    ----------
    gdf
        Features in any CRS (none: taken as lon/lat). Coordinates are rounded to
        :data:`COORD_DECIMALS` decimals, polygons snapped to that grid first so that
        they stay valid; properties go through :func:`json_safe`.

    Returns
    -------
    text
        A compact GeoJSON FeatureCollection (no ``bbox``, a CRS84 ``crs`` member),
        ending with a newline.
    """
    out = lonlat_rounded(gdf)
    data = out.to_geo_dict(drop_id=True, na="null")
    data.pop("bbox", None)
    # the coordinates are Python floats already (shapely's mapping): only the properties need making safe
    for feature in data["features"]:
        feature["properties"] = json_safe(feature["properties"])
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def lonlat_rounded(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """
    A copy of ``gdf`` in EPSG:4326 with the coordinates :func:`geojson_text` writes.

    Parameters
    ----------
    gdf
        Features in any CRS (none: taken as lon/lat).

    Returns
    -------
    out
        Coordinates rounded to :data:`COORD_DECIMALS` decimals; polygons are snapped to
        that grid first (GEOS keeps them valid there, dropping slivers thinner than it).
    """
    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    out = out.copy()
    geoms = out.geometry.values
    # polygons are snap-rounded to the written grid first, so that rounding
    # cannot make them invalid (GEOS keeps them valid on that grid)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if polygonal.any():
        geoms = np.asarray(geoms, dtype=object).copy()
        geoms[polygonal] = shapely.set_precision(geoms[polygonal], 10.0**-COORD_DECIMALS)
    out[out.geometry.name] = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """
    CSV text of ``frame`` that no spreadsheet opens as a formula (OWASP's CSV injection).

    A text cell (in a column of object, string or categorical dtype) or a column
    header that begins with one of :data:`FORMULA_START` (``=``, ``+``, ``-``,
    ``@``, tab, carriage return) is written with a leading apostrophe, so that
    Excel, WPS and LibreOffice show it as text instead of running it: a site named
    ``=1+1`` is written ``'=1+1`` (and one named ``'=1+1``, ``''=1+1``). Numbers are
    untouched, in numeric columns (``-1.5``) and in text cells alike (a ``site_id``
    ``-5`` opens as the number it reads). The planner's own readers
    (:func:`read_points`) drop that apostrophe again.

    Parameters
    ----------
    frame
        The table, written without its index as :meth:`pandas.DataFrame.to_csv`
        writes it otherwise (comma-separated, :data:`os.linesep` line ends; the UTF-8
        BOM is added by :func:`write_outputs`). A text cell holding a line break or
        a carriage return is quoted, so that it stays one cell.

    Returns
    -------
    text
        The CSV text, a header line then one line per row.
    """
    guarded = frame.copy()
    for position in range(guarded.shape[1]):
        guarded.isetitem(position, _guard_text(guarded.iloc[:, position]))
    guarded.columns = _guard_text(pd.Series(guarded.columns, dtype=object)).to_list()
    # written with CRLF row ends, so that the csv module also quotes a field holding a lone carriage return
    # (with "\n" alone it would not, and a spreadsheet would start a new row there, its cell maybe a formula);
    # the row ends, outside quotes (the even pieces between '"'), are then given back the usual line end
    pieces = guarded.to_csv(index=False, lineterminator="\r\n").split('"')
    pieces[::2] = [piece.replace("\r\n", os.linesep) for piece in pieces[::2]]
    return '"'.join(pieces)


def _guard_text(values: pd.Series) -> pd.Series:
    """``values`` with an apostrophe in front of each text cell a spreadsheet would read as a formula."""
    column = text_column(values)
    if column is None:
        return values  # numbers, dates... kept as they are
    text = column.str
    risky = (text.contains(_FORMULA, na=False) & ~text.fullmatch(_PLAIN_NUMBER, na=False)).to_numpy(dtype=bool)
    if not risky.any():
        return values
    guarded = column.astype(object).copy()
    guarded.iloc[risky] = "'" + column.iloc[risky].astype(str)
    return guarded


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
    return (
        json.dumps(json_safe(obj), sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False, default=_json_default)
        + "\n"
    )


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


def _json_default(obj: object) -> object:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def write_outputs(
    out_dir: str | os.PathLike[str], files: dict[str, str | bytes], owned: tuple[str, ...] = ()
) -> list[Path]:
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
        File name -> content (``str`` is encoded as UTF-8, ``bytes`` written as is but
        for the BOM of a ``.csv``). A name may hold subfolders (``shp/stations.shp``):
        they are created, and their files staged beside their targets like the others.
    owned
        Names (files or subfolders) this kind of run may write: one in the folder from an
        earlier run that this run did not write (an ``areas.csv`` of a run with areas, an
        ``unreachable.csv`` when every home is now reached) gets a warning naming it, as it
        would otherwise pass for this run's.

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
        with tempfile.NamedTemporaryFile(dir=out, prefix=".planner-", delete=True):
            pass
    except OSError as exc:
        raise InputError(
            f"{out}: output folder cannot be written ({exc.strerror or exc}); choose another with --out"
        ) from None
    staged: list[tuple[str, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for name, content in files.items():
            target = _target(out, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(_output_bytes(name, content))
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        raise PlannerError(
            f"{out}: could not write the outputs ({exc.strerror or exc}); choose another --out or free some space"
        ) from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    _warn_stale(out, files, owned)
    return [target for _, target in staged]


def _warn_stale(out: Path, files: dict[str, str | bytes], owned: tuple[str, ...]) -> None:
    """Warn of outputs of an earlier run left in ``out`` that this run did not write over."""
    stale = []
    for name in owned:
        path = _target(out, name)
        if path.is_dir():
            stale += [f"{name}/{f.name}" for f in sorted(path.iterdir()) if f"{name}/{f.name}" not in files]
        elif path.exists() and name not in files:
            stale.append(name)
    if stale:
        warnings.warn(
            f"{out}: {', '.join(stale[:6])}{' ...' if len(stale) > 6 else ''} from an earlier run, not written by "
            "this one (delete them, or write to an empty --out folder)",
            UserWarning,
            stacklevel=3,
        )


def _target(out: Path, name: str) -> Path:
    """Where output ``name`` goes: inside ``out``, in its subfolders if it names any (never outside)."""
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise PlannerError(f"output name {name!r}: expected a file name inside the output folder")
    return out.joinpath(*parts)


_BOM = b"\xef\xbb\xbf"


def _output_bytes(name: str, content: str | bytes) -> bytes:
    """The bytes written for output ``name``: UTF-8, with a BOM in front of a ``.csv`` (never two)."""
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if name.lower().endswith(".csv") and not data.startswith(_BOM):
        data = _BOM + data
    return data


def check_output_dir(out_dir: str | os.PathLike[str]) -> Path:
    """
    Fail early (before any work) if ``out_dir`` cannot be created or written.

    Parameters
    ----------
    out_dir
        The output folder; it need not exist yet (its nearest existing parent is
        checked instead). Nothing is created.

    Returns
    -------
    out
        ``out_dir`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputError
        If ``out_dir`` is an existing file, or the folder it would be made in is
        not writable.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; expected an output folder for --out")
    parent = out if out.exists() else next((q for q in out.parents if q.exists()), Path("."))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{out}: output folder cannot be written (no permission); choose another with --out")
    return out


def xlsx_bytes(table: pd.DataFrame, sheet: str) -> bytes:
    """
    An Excel workbook of one sheet (openpyxl), as bytes for :func:`write_outputs`.

    Text is stored as text: openpyxl would store a string beginning with ``=`` as a
    formula (and ``#N/A``, ``#REF!``... as error values); such cells, headers
    included, are set back to string cells, so that a site named ``=1+1`` reads
    ``=1+1`` in Excel and WPS, never ``2``.

    Parameters
    ----------
    table
        The rows, written without the index.
    sheet
        The sheet's name.

    Returns
    -------
    bytes
        The ``.xlsx`` file's content.
    """
    import io

    from openpyxl.cell.cell import ERROR_CODES

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet, index=False)
        cells = writer.sheets[sheet]
        # header in row 1, data from row 2, column j in column j + 1 (openpyxl counts from 1)
        columns = [pd.Series(table.columns, dtype=object), *(table.iloc[:, j] for j in range(table.shape[1]))]
        for k, values in enumerate(columns):
            for i in np.flatnonzero(_not_text_in_excel(values, ERROR_CODES)):
                row, column = (1, int(i) + 1) if k == 0 else (int(i) + 2, k)
                cells.cell(row=row, column=column).data_type = "s"
    return buf.getvalue()


def _not_text_in_excel(values: pd.Series, error_codes: tuple[str, ...]) -> np.ndarray:
    """Which text cells of ``values`` openpyxl would store as a formula or an error value."""
    column = text_column(values)
    if column is None:
        return np.zeros(len(values), dtype=bool)
    formula = column.str.startswith("=", na=False) & (column.str.len() > 1)
    return (formula | column.isin(error_codes)).to_numpy(dtype=bool)
