"""Reading tables of points: CSV (UTF-8 or GB18030) and Excel workbooks, lon/lat or x/y columns."""

from __future__ import annotations

import logging
import re
import warnings
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config import COLUMN_ALIASES
from planner.errors import InputError, PlannerError
from planner.io._common import TEXT_COLUMNS, cell_phrase, cell_value, pick_column, row_dict
from planner.io.columns import apply_aliases, cell_text, check_numeric, column_aliases
from planner.io.crs import SourceCRS, xy_to_wgs84
from planner.io.encodings import decode_text
from planner.io.records import FORMULA_START, text_column

__all__ = ["read_csv", "read_excel", "table_points"]

log = logging.getLogger("planner.io")

# the apostrophe csv_text puts before a text cell a spreadsheet would read as a formula (or before
# apostrophes and such a character: "''=x" was "'=x")
_GUARDED = "^'(?='*[" + re.escape(FORMULA_START) + "])"


def read_csv(p: Path, what: str, numeric: tuple[str, ...], explicit: dict[str, str | None]) -> tuple[pd.DataFrame, str]:
    """A CSV table of ``what`` points in any of the encodings a planner meets (UTF-8, GBK...), and that encoding."""
    text, encoding = decode_text(p, p.read_bytes(), what, "save it as 'CSV UTF-8' (Excel: Save As, CSV UTF-8)")
    log.info("%s: read as %s", p, encoding)
    try:
        header = pd.read_csv(StringIO(text), nrows=0).columns
        with warnings.catch_warnings():  # ambiguous headers are reported once, by table_points
            warnings.simplefilter("ignore")
            renames = column_aliases(p, header, what, numeric, explicit)
        as_text = [c for c in header if (c in TEXT_COLUMNS and c not in renames) or renames.get(c) in TEXT_COLUMNS]
        df = pd.read_csv(StringIO(text), dtype=dict.fromkeys(as_text, str))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    return _unguarded(df), encoding


def read_excel(p: Path, sheet: str | None, what: str) -> tuple[pd.DataFrame, str]:
    """A sheet of an Excel workbook (the first, or ``sheet``) as a table under its lon / lat header row, and its name."""
    try:
        book = pd.ExcelFile(p, engine="openpyxl")
    except ImportError:
        raise PlannerError(f"{p}: reading Excel files needs openpyxl; install it with: pip install openpyxl") from None
    except Exception as exc:
        ole = p.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
        hint = "; an Excel 97-2003 or password-protected workbook?" if ole else ""
        raise InputError(
            f"{p}: not a readable '.xlsx' workbook ({_reason(exc)}{hint}); expected an Excel file of "
            f"{what} with a header row (lon, lat...)"
        ) from None
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
        except Exception as exc:
            raise InputError(
                f"{p}: sheet {sheet!r} is not readable ({_reason(exc)}); expected a sheet of {what}"
            ) from None
    log.info("%s: read sheet %r", p, sheet)
    raw = raw.reset_index(drop=True).dropna(how="all").dropna(axis=1, how="all")
    if len(raw) == 0:
        raise InputError(f"{p}: sheet {sheet!r} is empty; expected a header and rows of {what}")
    head = raw.index[0]
    for k in raw.index[:10]:
        cells = [v for v in raw.loc[k] if isinstance(v, str)]
        if pick_column(cells, COLUMN_ALIASES["lon"]) and pick_column(cells, COLUMN_ALIASES["lat"]):
            head = k
            break
    header = [str(v).strip() if not _missing(v) else f"Unnamed: {j}" for j, v in enumerate(raw.loc[head])]
    df = raw.loc[raw.index > head].copy()
    df.columns = header
    # labels: data rows from 0, blank rows counted (row N of a message is sheet row N + the header's row)
    df.index = df.index - head - 1
    return _unguarded(df.infer_objects()), sheet


def _unguarded(df: pd.DataFrame) -> pd.DataFrame:
    """
    ``df`` without the apostrophe the planner's CSV outputs put before formula-like text.

    One leading ``'`` is dropped from a text cell or header when the character after it
    is one of ``= + - @``, tab or carriage return, or further apostrophes and then one of
    those (``'=1+1`` reads ``=1+1``, ``''=1+1`` reads ``'=1+1``, as written by
    :func:`~planner.outputs.files.csv_text`); ``'Hara`` stays as it is.
    """
    headers = pd.Series(df.columns, dtype=object)
    out = df.copy()
    out.columns = _drop_guard(headers).to_list()
    for position in range(out.shape[1]):
        out.isetitem(position, _drop_guard(out.iloc[:, position]))
    return out


def _drop_guard(values: pd.Series) -> pd.Series:
    """``values`` with the guarding apostrophe dropped from its text cells (numbers untouched)."""
    column = text_column(values)
    if column is None:
        return values
    guarded = column.str.contains(_GUARDED, na=False).to_numpy(dtype=bool)
    if not guarded.any():
        return values
    out = column.copy()
    out.iloc[guarded] = column.iloc[guarded].str.slice(1)
    return out


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _reason(exc: BaseException) -> str:
    text = (str(exc).splitlines() or [""])[0][:80]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def table_points(
    p: Path,
    df: pd.DataFrame,
    what: str,
    numeric: tuple[str, ...],
    explicit: dict[str, str | None],
    src: SourceCRS | None,
) -> gpd.GeoDataFrame:
    """The points of a table: columns aliased, text cells read as text, coordinates in ``src`` taken to WGS-84."""
    df = apply_aliases(p, df, what, numeric, explicit)
    for text_col in TEXT_COLUMNS:
        if text_col in df:
            df[text_col] = df[text_col].astype(object).map(cell_text)
    projected = src is not None and src.projected
    order: tuple[tuple[str, ...], tuple[str, ...]] = (("x",), ("y",)) if projected else ((), ())
    lon = pick_column(df.columns, order[0] + COLUMN_ALIASES["lon"])
    lat = pick_column(df.columns, order[1] + COLUMN_ALIASES["lat"])
    names = ("x", "y") if projected else ("lon", "lat")
    missing = [n for n, c in zip(names, (lon, lat)) if c is None]
    missing += [c for c in numeric if pick_column(df.columns, (c,)) is None]
    if missing:
        found = ", ".join(map(str, df.columns)) or "nothing"
        expected = ", ".join(names + numeric)
        hint = " (or 经度, 纬度" + (", 人口" if "population" in numeric else "") + ")" if not projected else ""
        raise InputError(
            f"{p}: column {', '.join(repr(m) for m in missing)} missing (found: {found}); expected {expected}{hint}"
        )
    coords = {}
    for name, col in (("lon", lon), ("lat", lat)):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna() | df[col].isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{p}: {cell_phrase(row_dict(df.index[i]), col, cell_value(df[col], i))}; expected a number"
            )
        coords[name] = values.to_numpy(dtype=float)
    rest = df.drop(columns=[lon, lat])
    gdf = gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(coords["lon"], coords["lat"]), crs="EPSG:4326")
    check_numeric(p, gdf, numeric, what)
    if len(gdf) == 0:
        return gdf
    lon_deg, lat_deg = xy_to_wgs84(p, coords["lon"], coords["lat"], gdf.index.to_numpy(), src)
    gdf["geometry"] = gpd.points_from_xy(lon_deg, lat_deg)
    return gdf.set_crs("EPSG:4326", allow_override=True)
