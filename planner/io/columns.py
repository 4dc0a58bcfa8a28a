"""Column headers of planners' files: aliases (``经度``, ``人口``...), id columns, text cells and numbers."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config import COLUMN_ALIASES, ID_ALIASES
from planner.errors import InputError
from planner.io._common import cell_phrase, cell_value, pick_column, row_dict

__all__ = ["apply_aliases", "cell_text", "check_numeric", "column_aliases"]


def column_aliases(
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
            raise InputError(
                f"{p}: column {given!r} ({option}) missing (found: {found}); expected one of the columns found"
            )
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
                raise InputError(
                    f"{p}: columns {both} could both be {canonical}; expected one: rename or remove the other{hint}"
                )
            warnings.warn(
                f"{p}: columns {both} could both be {canonical}; using {str(hits[0])!r}", UserWarning, stacklevel=4
            )
        renames[hits[0]] = canonical
    return renames


def apply_aliases(
    p: Path, df: pd.DataFrame, what: str, numeric: tuple[str, ...], explicit: dict[str, str | None]
) -> pd.DataFrame:
    """
    ``df`` with its aliased columns renamed (see :func:`column_aliases`).

    A column that becomes ``site_id`` / ``demand_id`` through an alias must name
    each row once: empty throughout, it is left as it was; partly empty or
    repeated, it is refused (the callers would drop or merge rows by id).
    """
    renames = column_aliases(p, df.columns, what, numeric, explicit)
    for col, canonical in list(renames.items()):
        if canonical not in ("site_id", "demand_id"):
            continue
        values = df[col].astype(object).map(cell_text)
        empty = values.isna()
        if empty.all():
            del renames[col]
            continue
        again = values.duplicated(keep="first").to_numpy() & ~empty.to_numpy()
        if empty.any() or again.any():
            if empty.any():
                problem = f"is empty in row {row_dict(df.index[int(np.flatnonzero(empty.to_numpy())[0])])}"
            else:
                j = int(np.flatnonzero(again)[0])
                i = int(np.flatnonzero((values == values.iat[j]).to_numpy())[0])
                problem = f"repeats {values.iat[j]!r} in rows {row_dict(df.index[i])} and {row_dict(df.index[j])}"
            raise InputError(
                f"{p}: column {str(col)!r} (read as {canonical}) {problem}; "
                f"expected one {canonical} per row (or rename the column)"
            )
    return df.rename(columns=renames)


def cell_text(value: object) -> object:
    """An id or name cell as text (Excel's 7.0 is "7", not "7.0"); empty cells stay missing."""
    if value is None or value is pd.NA or isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return value
        if float(value).is_integer():
            return str(int(value))
    return str(value)


def check_numeric(p: Path, gdf: gpd.GeoDataFrame, numeric: tuple[str, ...], what: str) -> None:
    """Refuse a file of ``what`` points without one of the ``numeric`` columns, naming the columns it has."""
    for name in numeric:
        col = pick_column(gdf.columns, (name,))
        if col is None:
            found = ", ".join(str(c) for c in gdf.columns if c != "geometry") or "nothing"
            aliases = [a for a in COLUMN_ALIASES.get(name, ()) if a != name][:2]
            hint = f" (or {', '.join(aliases)})" if aliases else ""
            raise InputError(
                f"{p}: column {name!r} missing (found: {found}); expected {name}{hint} for each {what} point"
            )
        values = pd.to_numeric(gdf[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{p}: {cell_phrase(row_dict(gdf.index[i]), col, cell_value(gdf[col], i))}; expected a non-negative number"
            )
        gdf[name] = values.to_numpy(dtype=float)
        if col != name:
            gdf.drop(columns=[col], inplace=True)
