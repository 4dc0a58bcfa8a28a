"""Stage 5: what a plan gives the planner, the committee and the GIS team.

Every output renders the plan's one account (:class:`planner.ledger.Ledger`); none recomputes a walk.

- :mod:`~planner.outputs.summary`: the station and area tables and ``summary.json``;
- :mod:`~planner.outputs.maps`: the Folium map and the what-if page;
- :mod:`~planner.outputs.report`: the committee report (one printable HTML page), with
  :mod:`~planner.outputs.report_figures` and :mod:`~planner.outputs.plots` for its figures;
- :mod:`~planner.outputs.gis_layers`, :mod:`~planner.outputs.gis`, :mod:`~planner.outputs.cad`: GeoPackage,
  shapefiles and DXF;
- :mod:`~planner.outputs.folder`: :func:`write`, every file of a plan into a folder;
- :mod:`~planner.outputs.files`: GeoJSON / JSON / spreadsheet-safe CSV text, written atomically;
- :mod:`~planner.outputs.console`: what the command line prints.
"""

from planner.outputs.folder import OUTPUT_FILES, write
from planner.outputs.maps.draw import MapContent, draw_map, plan_map
from planner.outputs.report import plan_report
from planner.outputs.summary import plan_summary

__all__ = ["OUTPUT_FILES", "MapContent", "draw_map", "plan_map", "plan_report", "plan_summary", "write"]
