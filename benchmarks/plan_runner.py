"""One ``planner.plan`` run, timed part by part: run by ``bench_plan.py`` in a fresh process per version.

The checkout to time comes first on ``PYTHONPATH`` (the process refuses to run if ``planner`` is
imported from anywhere else). Printed as the last line of stdout, one JSON object:

* ``planner_file``: where ``planner`` was imported from;
* ``import``: seconds of ``import planner`` (everything the package imports when imported);
* ``stages``: ``Plan.seconds`` (the pipeline's own wall time per stage);
* ``plan``: seconds of the whole ``planner.plan`` call;
* ``outputs``: seconds to render each file ``Plan.write`` writes, in its order and by the same calls
  (the map built and rendered to HTML, the report, GeoJSON, CSV, xlsx, summary, GIS files), then
  ``(writing to disk)``: the atomic write of all of them into the output folder;
* ``files``: the file names rendered (``bench_plan.py`` compares them with what ``planner plan`` wrote).

Run: ``PYTHONPATH=<checkout> python benchmarks/plan_runner.py OUT_DIR [SOURCE]``
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path


def main(argv: list[str]) -> dict:
    out_dir = Path(argv[0])
    source = argv[1] if len(argv) > 1 and argv[1] else None
    expected = os.environ.get("BENCH_PLAN_CHECKOUT")

    start = time.perf_counter()
    import planner

    import_seconds = time.perf_counter() - start
    planner_file = str(Path(planner.__file__).resolve())
    if expected and not planner_file.startswith(str(Path(expected).resolve()) + os.sep):
        raise SystemExit(f"planner imported from {planner_file}, not from the checkout {expected}")

    from planner import pipeline

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    result = planner.plan(source)
    plan_seconds = time.perf_counter() - start

    outputs: dict[str, float] = {}
    files: dict[str, str | bytes] = {}

    def render(name: str, make) -> None:
        start = time.perf_counter()
        files[name] = make()
        outputs[name] = time.perf_counter() - start

    # the order and the calls of Plan.write with the defaults of `planner plan`
    render("plan.html", lambda: result.map(lang="en", inline_assets=False).get_root().render())
    render("report.html", lambda: result.report(lang="en"))
    render("stations.geojson", lambda: pipeline.geojson_text(result.stations))
    render("stations.csv", lambda: result.stations.drop(columns="geometry").to_csv(index=False))
    render("stations.xlsx", lambda: pipeline.xlsx_bytes(result.stations.drop(columns="geometry"), "stations"))
    render("isochrones.geojson", lambda: pipeline.geojson_text(result.isochrones))
    render("summary.json", lambda: pipeline.json_text(result.summary))
    if result.unreachable is not None and len(result.unreachable):
        render("unreachable.csv", lambda: result.unreachable.to_csv(index=False))
    if result.area_table is not None:
        render("areas.csv", lambda: result.area_table.to_csv(index=False))
    start = time.perf_counter()
    gis = pipeline.gis_files(result, shapefile=False, dxf=False, output_crs=None)
    files.update(gis)
    for name in gis:  # one call makes them all: its time goes to the first
        outputs[name] = time.perf_counter() - start if name == next(iter(gis)) else 0.0
    start = time.perf_counter()
    pipeline.write_outputs(out_dir, files)
    outputs["(writing to disk)"] = time.perf_counter() - start
    return {
        "planner_file": planner_file,
        "import": import_seconds,
        "stages": dict(result.seconds),
        "plan": plan_seconds,
        "outputs": outputs,
        "files": sorted(files),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
