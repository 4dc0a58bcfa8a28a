"""
Reading the planner's own files, and writing outputs atomically and deterministically.

Modules, by idea:

* :mod:`~planner.io.points`: :func:`read_points`, the entry for points and areas
  from any supported file;
* :mod:`~planner.io.tables`, :mod:`~planner.io.encodings`, :mod:`~planner.io.columns`:
  CSV and Excel tables, their text encodings, column aliases;
* :mod:`~planner.io.vectors`, :mod:`~planner.io.crs`: GIS files, input CRS and
  coordinate checks;
* :mod:`~planner.io.costs`: a travel-time matrix and its weights;
* :mod:`~planner.io.output`: GeoJSON / JSON / spreadsheet-safe CSV text and atomic writing of outputs;
* :mod:`~planner.io._common`: what the readers share (input-file checks, cell wording).
"""

from __future__ import annotations

from ._common import COORD_DECIMALS, cell_phrase, check_input_file
from .costs import read_cost_matrix, read_weights
from .output import (
    check_output_dir,
    csv_text,
    geojson_text,
    json_safe,
    json_text,
    left_out_records,
    write_outputs,
    xlsx_bytes,
)
from .points import read_points

__all__ = [
    "COORD_DECIMALS",
    "cell_phrase",
    "check_input_file",
    "check_output_dir",
    "csv_text",
    "geojson_text",
    "json_safe",
    "json_text",
    "left_out_records",
    "read_cost_matrix",
    "read_points",
    "read_weights",
    "write_outputs",
    "xlsx_bytes",
]
