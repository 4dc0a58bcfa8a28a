"""Records of what the readers set aside or take in as text: rows left out, text columns, formula-like cells."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

__all__ = ["FORMULA_START", "left_out_records", "text_column"]

#: the first characters that make a spreadsheet (Excel, WPS, LibreOffice) read a text cell as a formula
FORMULA_START = "=+-@\t\r"


def left_out_records(frame: gpd.GeoDataFrame, columns: tuple[str, ...], **values: object) -> list[dict]:
    """
    Rows a stage left out, as the outputs name them (the ``left_out`` layer of ``plan.gpkg``, the summary).

    Parameters
    ----------
    frame
        The rows left out (points in any CRS).
    columns
        The columns to keep, those ``frame`` has, in this order.
    **values
        Columns of one value for every row (``reason="..."``), after them.

    Returns
    -------
    records
        One dict per row: the columns, the values, then ``lon`` / ``lat`` (WGS-84, 7 decimals). Records,
        not a frame: pandas compares ``attrs`` when frames are joined.
    """
    table = pd.DataFrame(frame[[c for c in columns if c in frame]]).reset_index(drop=True)
    for name, value in values.items():
        table[name] = value
    ll = frame.to_crs("EPSG:4326").geometry
    table["lon"], table["lat"] = ll.x.round(7).to_numpy(), ll.y.round(7).to_numpy()
    return table.to_dict(orient="records")


def text_column(values: pd.Series) -> pd.Series | None:
    """``values`` as a column that holds text (categories as plain values), or ``None`` if it holds none."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return None
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "mixed", "mixed-integer"):
        return None  # numbers, dates, bytes... in an object column
    return values
