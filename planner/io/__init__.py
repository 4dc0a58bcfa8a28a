"""
Reading the planner's own files.

Modules, by idea:

* :mod:`~planner.io.points`: :func:`read_points`, the entry for points and areas
  from any supported file;
* :mod:`~planner.io.tables`, :mod:`~planner.io.encodings`, :mod:`~planner.io.columns`:
  CSV and Excel tables, their text encodings, column aliases;
* :mod:`~planner.io.vectors`, :mod:`~planner.io.crs`, :mod:`~planner.io.datums`: GIS files, input CRS and
  coordinate checks, China's map datums (GCJ-02, BD-09);
* :mod:`~planner.io.costs`: a travel-time matrix and its weights;
* :mod:`~planner.io.records`: the records of rows set aside, and cells read as text;
* :mod:`~planner.io._common`: what the readers share (input-file checks, cell wording).

Writing is :mod:`planner.outputs`.
"""

from __future__ import annotations

from planner.io._common import COORD_DECIMALS, cell_phrase, check_input_file
from planner.io.costs import read_cost_matrix, read_weights
from planner.io.points import read_points
from planner.io.records import left_out_records

__all__ = [
    "COORD_DECIMALS",
    "cell_phrase",
    "check_input_file",
    "left_out_records",
    "read_cost_matrix",
    "read_points",
    "read_weights",
]
