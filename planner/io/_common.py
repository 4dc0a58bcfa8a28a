"""What the readers of :mod:`planner.io` share: file types, input-file checks, row and cell wording."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from planner.errors import InputError, PlannerError

__all__ = [
    "COORD_DECIMALS",
    "EXCEL_SUFFIXES",
    "TABLE_SUFFIXES",
    "TEXT_COLUMNS",
    "VECTOR_SUFFIXES",
    "cell_phrase",
    "cell_value",
    "check_input_file",
    "pick_column",
    "row_dict",
]

#: decimals of degrees written to GeoJSON (1e-7 deg is about 1 cm)
COORD_DECIMALS = 7

TABLE_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")

#: columns read as text from a CSV (ids keep their leading zeros: "007" is not 7)
TEXT_COLUMNS = ("name", "site_id", "demand_id")


def check_input_file(
    path: Path, *, not_found: str, folder: str, empty: str, empty_error: type[PlannerError] = InputError
) -> None:
    """
    Refuse an input file that is missing, a folder or empty, before reading it.

    Parameters
    ----------
    path
        The file.
    not_found, folder, empty
        The whole message for each case (file name first, then what was expected).
    empty_error
        The error raised for an empty file (the other two are :class:`InputError`).

    Raises
    ------
    InputError
        If ``path`` does not exist or is a folder.
    PlannerError
        ``empty_error``, if ``path`` holds no bytes.
    """
    if not path.exists():
        raise InputError(not_found)
    if path.is_dir():
        raise InputError(folder)
    if path.stat().st_size == 0:
        raise empty_error(empty)


def cell_phrase(row: int, column: object, value: object) -> str:
    """
    The words naming one cell of a table in messages: ``row 3, column 'cost' = 'abc'``.

    Parameters
    ----------
    row
        The 1-based data row (the header not counted).
    column
        The column's header (written with :func:`repr`).
    value
        The cell's value (written with :func:`repr`).

    Returns
    -------
    phrase
        ``row {row}, column {column!r} = {value!r}``.
    """
    return f"row {row}, column {column!r} = {value!r}"


def pick_column(columns: Iterable[str], names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower().strip(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def row_dict(label: object) -> int:
    """1-based data row number of an index label (the frames keep the file's 0-based row positions)."""
    return int(label) + 1  # type: ignore[call-overload]


def cell_value(column: pd.Series, i: int) -> object:
    """Cell ``i`` of ``column`` as a plain Python value (numpy 2 scalars print as np.int64(...))."""
    return column.iloc[i : i + 1].tolist()[0]
