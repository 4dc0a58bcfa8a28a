"""``planner plan``: propose stations, write the map, GeoJSON and summary, and report."""

from __future__ import annotations

from typing import Any

import click

from planner.cli._base import ModelChoice, cli, common_options, lang_option, setup_logging, share_value, study_options
from planner.config import DEFAULTS
from planner.outputs.console import Reporter, report_plan

__all__ = ["plan_command"]


@cli.command("plan")
@common_options
@click.option(
    "--candidates",
    type=click.Path(dir_okay=False),
    default=None,
    help="Candidate sites (CSV lon,lat[,name][,site_id], GeoJSON or GPKG). Default: OSM community centres, offices, parks, squares...",
)
@click.option(
    "--model",
    type=ModelChoice(),
    default="lscp",
    show_default=True,
    help="lscp: fewest stations covering every reachable home; mclp: --p stations covering the most people; "
    "pmedian: --p stations, least total walking; pcenter: --p stations, shortest longest walk; "
    "backup: lscp's count, most people covered twice; pdispersion: --p stations spread apart; "
    "budget: most people within --budget (site costs: a 'cost' column or by site type); "
    "pscp: fewest stations covering --share of residents.",
)
@click.option("--p", "p", type=int, default=None, help="Number of stations (mclp, pmedian, pcenter, pdispersion).")
@click.option("--capacity", type=float, default=None, help="Most residents one station serves (lscp, mclp).")
@click.option("--no-split", is_flag=True, help="With --capacity: each home is served by one station whole.")
@click.option("--budget", type=float, default=None, help="Total cost allowed (model budget).")
@click.option(
    "--share",
    type=str,
    default=None,
    help="Fraction of all residents to cover with the fewest stations (model pscp): 0.9 or 90%.",
)
@click.option(
    "--tiers",
    is_flag=True,
    help="1+5+N: community centres within --tier-minutes of every home, grid stations within --minutes.",
)
@click.option(
    "--tier-minutes",
    type=float,
    default=DEFAULTS.tier_minutes,
    show_default=True,
    help="Walk to a community centre (with --tiers).",
)
@click.option(
    "--max-centres",
    type=int,
    default=None,
    help="With --tiers: at most this many community centres, existing ones included (the 5 of 1+5+N). "
    "A 'tier' column on candidates (centre / grid / any) limits what each site may become.",
)
@click.option(
    "--time-limit",
    type=float,
    default=None,
    help="Seconds for the solver; the best plan found so far is kept with its gap.",
)
@click.option(
    "--areas",
    type=click.Path(dir_okay=False),
    default=None,
    help="Areas (community boundaries: GeoJSON / GPKG / SHP polygons with names) to group the homes by: "
    "areas.csv and a map layer of the share covered per area. A --demand file of areas needs none.",
)
@lang_option
@click.option(
    "--offline",
    is_flag=True,
    help="A plan.html that renders with no network: Leaflet inlined and the streets drawn as the basemap; no tiles "
    "with the default basemap, or the --basemap carto/gaode/tianditu tiles over the drawn streets where reachable.",
)
@click.option(
    "--inline-assets",
    "inline_assets",
    is_flag=True,
    help="Leaflet written into plan.html instead of loaded from jsDelivr; the --basemap tiles are still fetched "
    "(--inline-assets --basemap gaode needs no CDN in mainland China). Implied by --offline.",
)
@click.option(
    "--whatif",
    is_flag=True,
    help="plan.html lets planners add and remove stations with a click and see the coverage change (works offline).",
)
@click.option(
    "--basemap",
    type=click.Choice(["osm", "carto", "tianditu", "gaode"]),
    default="osm",
    show_default=True,
    help="Map tiles; gaode tiles are GCJ-02, so every overlay is shifted to GCJ-02.",
)
@click.option(
    "--tianditu-key",
    type=str,
    default=None,
    help="Key for --basemap tianditu (default: the TIANDITU_KEY environment variable).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this process; dask: coverage tiles and lscp components as Dask tasks (same results).",
)
@click.option(
    "--scheduler",
    type=str,
    default=None,
    help="With --engine dask: address of a running Dask scheduler (default: start a LocalCluster).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --engine dask: LocalCluster worker processes (default: the number of CPUs).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["shp"]),
    multiple=True,
    help="Also write shapefiles: one per layer of plan.gpkg in shp/ (UTF-8, with a .cpg; field names in fields.csv).",
)
@click.option(
    "--dxf", is_flag=True, help="Also write plan.dxf for CAD: stations as named blocks, walking areas as polylines."
)
@click.option(
    "--output-crs",
    default=None,
    metavar="CRS",
    help="CRS of plan.gpkg, shp/ and plan.dxf, e.g. EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E). "
    "Default: EPSG:4326; the plan's UTM zone for the DXF. GeoJSON stays EPSG:4326.",
)
@click.option("--out", "out", type=str, default="maps", show_default=True, help="Output folder.")
def plan_command(out: str, **options: Any) -> None:
    """Propose stations so that homes are within a walk of one; write a map, GeoJSON and a summary."""
    from planner.outputs.files import check_output_dir
    from planner.outputs.folder import write
    from planner.runs.pipeline import plan

    quiet = setup_logging(options)
    model = _model_options(options)
    engine, cluster = _engine_options(options)
    view = _map_options(options)
    out_dir = check_output_dir(out)
    gis = _gis_arguments(options)
    files = {"candidates": options.pop("candidates"), "areas": options.pop("areas")}
    study, walk = study_options(options, ("demand", "candidates", "existing", "areas"), **files)
    model["tiers"] = _tiers(model)
    reporter = Reporter(quiet)
    with reporter.running(), cluster as client:
        result = plan(study, walk=walk, **model, progress=reporter, engine=engine, client=client)
        reporter("writing outputs", 0.5)
        paths = write(result, out_dir, **view, **gis)
    report_plan(reporter, result, paths, view["lang"])


def _model_options(options: dict[str, Any]) -> dict[str, Any]:
    """The model's options, out of ``options`` and checked (the tiers' as ``tier_minutes`` / ``max_centres``)."""
    from planner.optimize import MODEL_SPECS, check_model

    names = ("model", "p", "capacity", "budget", "share", "time_limit", "tiers", "tier_minutes", "max_centres")
    model = {name: options.pop(name) for name in names}
    model["split"] = not options.pop("no_split")
    model["share"] = share_value(model["share"])
    check_model(model["model"], model["p"], tiers=model["tiers"], share=model["share"])
    if MODEL_SPECS[model["model"]].needs_costs and model["budget"] is None:
        raise click.UsageError(f"--model {model['model']} needs --budget")
    return model


def _tiers(model: dict[str, Any]) -> Any:
    """``--tiers`` / ``--tier-minutes`` / ``--max-centres`` as :class:`planner.Tiers` (``None`` without ``--tiers``)."""
    from planner.errors import InputError
    from planner.study import Tiers

    tiers, minutes, cap = model.pop("tiers"), model.pop("tier_minutes"), model.pop("max_centres")
    if cap is not None and not tiers:
        raise InputError(
            f"max_centres={cap!r}: caps community centres, which only a tiered plan has; "
            "expected tiers=True (--tiers beside --max-centres)"
        )
    return Tiers(minutes, cap) if tiers else None


def _engine_options(options: dict[str, Any]) -> tuple[str, Any]:
    """``--engine`` / ``--scheduler`` / ``--workers``, checked: the engine and the cluster to run in."""
    from contextlib import nullcontext

    engine, scheduler, workers = options.pop("engine"), options.pop("scheduler"), options.pop("workers")
    if engine != "dask" and (scheduler is not None or workers is not None):
        raise click.UsageError("--scheduler and --workers need --engine dask")
    if scheduler is not None and workers is not None:
        raise click.UsageError("--workers starts a LocalCluster; with --scheduler the cluster's own workers are used")
    if engine != "dask":
        return engine, nullcontext()
    from planner.distributed import dask_client

    return engine, dask_client(scheduler, workers)


def _map_options(options: dict[str, Any]) -> dict[str, Any]:
    """The map's options, out of ``options`` and checked, as keywords of :func:`planner.write`."""
    from planner.outputs.maps import check_basemap

    view = {k: options.pop(k) for k in ("lang", "offline", "inline_assets", "whatif", "basemap", "tianditu_key")}
    view["tianditu_key"] = check_basemap(
        view["basemap"], view["tianditu_key"], offline=view["offline"], inline_assets=view["inline_assets"]
    )
    return view


def _gis_arguments(common: dict[str, Any]) -> dict[str, Any]:
    """``--format`` / ``--dxf`` / ``--output-crs``, out of ``common`` and checked, as keywords of :func:`planner.write`."""
    from planner.outputs.gis import check_output_crs

    formats, dxf, output_crs = common.pop("formats"), common.pop("dxf"), common.pop("output_crs")
    check_output_crs(output_crs, dxf=dxf)
    return {"shapefile": "shp" in formats, "dxf": dxf, "output_crs": output_crs}
