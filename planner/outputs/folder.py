"""A plan's files: :func:`write` renders every output of a plan into a folder, atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from planner.outputs.files import csv_text, geojson_text, json_text, write_outputs, xlsx_bytes
from planner.outputs.gis_layers import gis_files
from planner.outputs.maps.draw import plan_map
from planner.outputs.report import plan_report
from planner.outputs.summary import plan_summary, station_sheet
from planner.result import Plan

__all__ = ["OUTPUT_FILES", "write"]

#: file names written by :func:`write` (and ``areas.csv``, ``shp/``, ``plan.dxf`` when asked for)
OUTPUT_FILES = (
    "plan.html",
    "plan.gpkg",
    "report.html",
    "stations.geojson",
    "stations.csv",
    "stations.xlsx",
    "isochrones.geojson",
    "summary.json",
    "unreachable.csv",
)


def write(
    plan: Plan,
    out_dir: str | os.PathLike,
    *,
    lang: str = "en",
    offline: bool = False,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    inline_assets: bool = False,
    shapefile: bool = False,
    dxf: bool = False,
    output_crs: str | None = None,
    whatif: bool = False,
) -> list[Path]:
    """
    Write a plan's files into ``out_dir``: every one of :data:`OUTPUT_FILES` or none (atomically).

    Parameters
    ----------
    plan
        A plan of :func:`planner.plan`.
    out_dir
        The folder (made if missing). Files of a previous plan that this one does not write are removed.
    lang, offline, basemap, tianditu_key, inline_assets, whatif
        The map's options (:func:`planner.plan_map`); ``lang`` also for the report and ``stations.xlsx``.
    shapefile, dxf, output_crs
        Also one shapefile per layer in ``shp/``, ``plan.dxf``, and the CRS of the GIS files
        (:func:`planner.outputs.gis_layers.gis_files`).

    Returns
    -------
    list of Path
        The files written.
    """
    view: dict[str, Any] = {"offline": offline, "basemap": basemap, "tianditu_key": tianditu_key, "whatif": whatif}
    files: dict[str, str | bytes] = {
        "plan.html": plan_map(plan, lang=lang, inline_assets=inline_assets, **view).get_root().render(),
        "report.html": plan_report(plan, lang=lang),
        "stations.geojson": geojson_text(plan.stations),
        "stations.csv": csv_text(plan.stations.drop(columns="geometry")),
        "stations.xlsx": xlsx_bytes(station_sheet(plan.stations, lang), "站点" if lang == "zh" else "stations"),
        "isochrones.geojson": geojson_text(plan.isochrones),
        "summary.json": json_text(plan_summary(plan)),
    }
    if plan.unreachable is not None and len(plan.unreachable):
        files["unreachable.csv"] = csv_text(plan.unreachable)
    if plan.area_table is not None:
        files["areas.csv"] = csv_text(plan.area_table)
    files.update(gis_files(plan, shapefile=shapefile, dxf=dxf, output_crs=output_crs))
    return write_outputs(out_dir, files, owned=(*OUTPUT_FILES, "areas.csv", "plan.dxf", "shp"))
