"""Reading a precomputed travel-time matrix and the population weights of its demand points."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.io._common import cell_phrase, cell_value

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["read_cost_matrix", "read_weights"]


def read_cost_matrix(path: str | os.PathLike[str]) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """
    Read a long-format travel-time file ``demand_id,site_id,minutes``.

    Parameters
    ----------
    path
        A CSV (UTF-8, with or without BOM) with the columns ``demand_id``,
        ``site_id`` and ``minutes``, one row per pair.

    Returns
    -------
    minutes, demand_ids, site_ids
        CSR matrix (demand x sites, stored entries are minutes; repeated pairs keep
        the shortest) and the row / column labels in sorted order.

    Raises
    ------
    InputError
        Missing or unreadable file, missing columns, no rows, minutes that are not
        non-negative numbers.
    """
    import scipy.sparse as sp

    p = Path(path)
    df = _read_columns(p, "cost matrix", ("demand_id", "site_id", "minutes"), ("demand_id", "site_id"))
    if len(df) == 0:
        raise InputError(f"{p}: no rows (header only?); expected demand_id,site_id,minutes rows")
    minutes = pd.to_numeric(df["minutes"], errors="coerce")
    bad = minutes.isna() | (minutes < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{p}: {cell_phrase(i + 1, 'minutes', cell_value(df['minutes'], i))}; expected a non-negative number"
        )
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


def read_weights(path: str | os.PathLike[str]) -> pd.Series:
    """
    Read ``demand_id,population``: the weight of each demand point of a cost matrix.

    Parameters
    ----------
    path
        A CSV (UTF-8, with or without BOM) with the columns ``demand_id`` and
        ``population``, one row per demand point.

    Returns
    -------
    population
        Population (float) indexed by ``demand_id`` (str), in the file's order.

    Raises
    ------
    InputError
        Missing or unreadable file, missing columns, populations that are not
        non-negative numbers, a ``demand_id`` given twice.
    """
    p = Path(path)
    df = _read_columns(p, "weights", ("demand_id", "population"), ("demand_id",))
    pop = pd.to_numeric(df["population"], errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{p}: {cell_phrase(i + 1, 'population', cell_value(df['population'], i))}; expected a non-negative number"
        )
    if df["demand_id"].duplicated().any():
        raise InputError(f"{p}: demand_id {df.loc[df['demand_id'].duplicated(), 'demand_id'].iloc[0]!r} appears twice")
    return pd.Series(pop.to_numpy(float), index=df["demand_id"].to_numpy())


def _read_columns(p: Path, what: str, columns: tuple[str, ...], text: tuple[str, ...]) -> pd.DataFrame:
    """A CSV (UTF-8, BOM or not) that must hold ``columns`` (``text`` ones read as strings), or one clear error."""
    expected = ",".join(columns)
    if not p.exists():
        raise InputError(f"{p}: {what} file not found; expected a CSV with {expected}")
    try:
        df = pd.read_csv(p, dtype=dict.fromkeys(text, str), encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a readable CSV ({str(exc).splitlines()[0]}); expected {expected}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{p}: column {', '.join(map(repr, missing))} missing "
            f"(found: {', '.join(map(str, df.columns))}); expected {expected}"
        )
    return df
