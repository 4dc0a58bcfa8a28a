"""The ``planner`` command: a thin layer over the public API.

``planner plan`` runs the whole pipeline and writes the map, GeoJSON and summary;
``planner score`` ranks candidate sites. Errors print one line and exit with 2
(usage: a bad option or file shape) or 1 (data: nothing reachable, corrupt data).
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import click

from . import __version__
from .config import DEFAULTS
from .console import Reporter, report_plan
from .errors import PlannerError

__all__ = ["SOURCE_HELP", "cli", "curve_command", "main", "optimize_command", "plan_command", "run", "score_command"]

SOURCE_HELP = (
    "OSM source: an .osm.pbf, .osm, .osm.bz2, .xml or .graphml file, a bbox 'minlon,minlat,maxlon,maxlat' "
    "or a place name (downloads need internet). Default: the embedded central-Helsinki extract."
)


def _input_crs(values: tuple[str, ...]) -> dict[str, str] | None:
    """``--input-crs`` values as the ``input_crs`` of :func:`planner.plan` (a dict by file; ``*`` for all)."""
    from .sites import INPUT_FILES

    out: dict[str, str] = {}
    for value in values:
        key, sep, crs = value.partition("=")
        if not sep:
            key, crs = "*", value
        key, crs = key.strip().lower(), crs.strip()
        if key != "*" and key not in INPUT_FILES:
            raise click.UsageError(
                f"--input-crs {value}: unknown file {key!r}; expected {', '.join(INPUT_FILES)} (e.g. candidates=gcj02)"
            )
        if not crs:
            raise click.UsageError(f"--input-crs {value}: no CRS given; expected wgs84, gcj02, bd09 or e.g. EPSG:4547")
        out[key] = crs
    return out or None


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
def cli():
    """Station Planner: where to put neighbourhood service stations so that every resident lives within a five-minute walk of one."""


def _common(f):
    options = [
        click.option("--source", default=None, help=SOURCE_HELP),
        click.option(
            "--demand",
            type=click.Path(dir_okay=False),
            default=None,
            help="Population file: CSV lon,lat,population, GeoJSON or GPKG. Default: OSM residential buildings.",
        ),
        click.option(
            "--existing",
            type=click.Path(dir_okay=False),
            default=None,
            help="Existing stations (CSV lon,lat[,name][,site_id], GeoJSON or GPKG); always kept.",
        ),
        click.option("--minutes", type=float, default=DEFAULTS.minutes, show_default=True, help="Walking time limit."),
        click.option(
            "--speed",
            "speed_kmh",
            type=float,
            default=DEFAULTS.speed_kmh,
            show_default=True,
            help="Walking speed, km/h.",
        ),
        click.option(
            "--input-crs",
            "input_crs",
            multiple=True,
            metavar="[FILE=]CRS",
            help="Datum of your files' coordinates: wgs84 (default), gcj02 (Amap / Gaode / Tencent), bd09 "
            "(Baidu) or a CRS such as EPSG:4547 (x/y columns). Applies to every file, or to one: "
            "candidates=gcj02, existing=bd09, demand=EPSG:4547, sites=gcj02. Repeatable.",
        ),
        click.option(
            "--name-column",
            "name_column",
            default=None,
            metavar="HEADER",
            help="Column of the site files holding names, when it is not a usual one (name, 名称, 站名...).",
        ),
        click.option(
            "--population-column",
            "population_column",
            default=None,
            metavar="HEADER",
            help="Column of the --demand file holding the population, when it is not a usual one (population, 人口, 常住人口...).",
        ),
        click.option(
            "--raster-mode",
            type=click.Choice(["buildings", "cells"]),
            default="buildings",
            show_default=True,
            help="With a --demand raster (GeoTIFF: WorldPop, GHS-POP): each cell's people on the OSM residential "
            "buildings in it by floor area (cells without one at their centre), or at the cell centres.",
        ),
        click.option(
            "--raster-units",
            type=click.Choice(["count", "density"]),
            default=None,
            help="With a --demand raster: people per cell (count) or per km2 (density). Default: from its metadata, else count.",
        ),
        click.option(
            "--raster-band",
            type=click.IntRange(min=1),
            default=None,
            help="With a multi-band --demand raster: the band holding people.",
        ),
        click.option(
            "--boundary",
            default=None,
            metavar="FILE|BBOX|NAME",
            help="Planning boundary: a polygon file (GeoJSON / GPKG / SHP, any CRS), a bbox "
            "minlon,minlat,maxlon,maxlat, or the name of an administrative boundary in the source "
            "(蒲县). Only streets within a walk of it are read; homes and candidates outside are left out.",
        ),
        click.option(
            "--boundary-name",
            "boundary_name",
            default=None,
            help="With a --boundary file of several polygons: the one with this name.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress and no report; errors only."),
        click.option("--verbose", "-v", is_flag=True, help="Log each stage."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@cli.command("plan")
@_common
@click.option(
    "--candidates",
    type=click.Path(dir_okay=False),
    default=None,
    help="Candidate sites (CSV lon,lat[,name][,site_id], GeoJSON or GPKG). Default: OSM community centres, offices, parks, squares...",
)
@click.option(
    "--model",
    type=str,
    default="lscp",
    show_default=True,
    help="lscp: fewest stations covering every reachable home; mclp: --p stations covering the most people; "
    "pmedian: --p stations, least total walking; pcenter: --p stations, shortest longest walk; "
    "backup: lscp's count, most people covered twice; pdispersion: --p stations spread apart; "
    "budget: most people within --budget (site costs: a 'cost' column or by site type).",
)
@click.option("--p", "p", type=int, default=None, help="Number of stations (mclp, pmedian, pcenter, pdispersion).")
@click.option("--capacity", type=float, default=None, help="Most residents one station serves (lscp, mclp).")
@click.option("--no-split", is_flag=True, help="With --capacity: each home is served by one station whole.")
@click.option("--budget", type=float, default=None, help="Total cost allowed (model budget).")
@click.option(
    "--tiers",
    is_flag=True,
    help="1+5+N: community centres within --tier-minutes of every home, grid stations within --minutes.",
)
@click.option(
    "--tier-minutes", type=float, default=15.0, show_default=True, help="Walk to a community centre (with --tiers)."
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
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of the map.")
@click.option(
    "--offline",
    is_flag=True,
    help="One self-contained plan.html that needs no network: Leaflet inlined, the streets drawn as the basemap, no tiles.",
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
@click.option("--out", "out", type=str, default="maps", show_default=True, help="Output folder.")
def plan_command(
    source,
    demand,
    existing,
    minutes,
    speed_kmh,
    input_crs,
    name_column,
    population_column,
    raster_mode,
    raster_units,
    raster_band,
    boundary,
    boundary_name,
    quiet,
    verbose,
    candidates,
    model,
    p,
    capacity,
    no_split,
    budget,
    tiers,
    tier_minutes,
    max_centres,
    time_limit,
    areas,
    lang,
    offline,
    basemap,
    tianditu_key,
    engine,
    scheduler,
    workers,
    out,
):
    """Propose stations so that homes are within a walk of one; write a map, GeoJSON and a summary."""
    from contextlib import nullcontext

    from .io import check_output_dir
    from .maps import check_basemap
    from .optimize import check_model
    from .pipeline import plan

    _logging(verbose, quiet)
    check_model(model, p, tiers=tiers)
    if engine != "dask" and (scheduler is not None or workers is not None):
        raise click.UsageError("--scheduler and --workers need --engine dask")
    if scheduler is not None and workers is not None:
        raise click.UsageError("--workers starts a LocalCluster; with --scheduler the cluster's own workers are used")
    tianditu_key = check_basemap(basemap, tianditu_key, offline=offline)
    if model == "budget" and budget is None:
        raise click.UsageError("--model budget needs --budget")
    crs_by_file = _input_crs(input_crs)
    out_dir = check_output_dir(out)
    if engine == "dask":
        from .distributed import dask_client

        cluster = dask_client(scheduler, workers)
    else:
        cluster = nullcontext()
    reporter = Reporter(quiet)
    with reporter.running(), cluster as client:
        result = plan(
            source,
            demand=demand,
            candidates=candidates,
            existing=existing,
            minutes=minutes,
            speed_kmh=speed_kmh,
            model=model,
            p=p,
            time_limit=time_limit,
            capacity=capacity,
            split=not no_split,
            budget=budget,
            tiers=tiers,
            tier_minutes=tier_minutes,
            max_centres=max_centres,
            areas=areas,
            progress=reporter,
            raster_mode=raster_mode,
            raster_units=raster_units,
            raster_band=raster_band,
            engine=engine,
            client=client,
            input_crs=crs_by_file,
            name_column=name_column,
            population_column=population_column,
            boundary=boundary,
            boundary_name=boundary_name,
        )
        reporter("writing outputs", 0.5)
        paths = result.write(out_dir, lang=lang, offline=offline, basemap=basemap, tianditu_key=tianditu_key)
    report_plan(reporter, result, paths)


@cli.command("score")
@_common
@click.option(
    "--sites",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your shortlist (CSV lon,lat[,name][,site_id], GeoJSON or GPKG). Default: every candidate place of the source.",
)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Write the ranking to this CSV file."
)
@click.option(
    "--geojson",
    "geojson_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the ranking to this GeoJSON file (points in EPSG:4326, the same columns as properties).",
)
@click.option("--top", type=int, default=None, help="Show only the best N in the terminal.")
def score_command(
    source,
    demand,
    existing,
    minutes,
    speed_kmh,
    input_crs,
    name_column,
    population_column,
    raster_mode,
    raster_units,
    raster_band,
    boundary,
    boundary_name,
    quiet,
    verbose,
    sites,
    csv_path,
    geojson_path,
    top,
):
    """Rank candidate sites by the residents within a walk, what each adds, and the worst-served home it fixes."""
    import os

    import pandas as pd

    from .errors import InputError
    from .io import geojson_text, write_outputs
    from .score import SCORE_HORIZON_MINUTES, score

    _logging(verbose, quiet)
    targets = {option: Path(value) for option, value in (("--csv", csv_path), ("--geojson", geojson_path)) if value}
    # fail before any work on a path that cannot be written (as check_output_dir does for --out)
    for option, target in targets.items():
        if target.is_dir():
            raise InputError(f"{target}: is a folder; expected a file name for {option}")
        folder = next((q for q in target.parents if q.exists()), Path("."))
        if not folder.is_dir():
            raise InputError(f"{target}: cannot be written ({folder} is a file, not a folder); choose another {option}")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(f"{target}: cannot be written (no permission in {folder}); choose another {option}")
    if len(targets) == 2 and targets["--csv"].resolve() == targets["--geojson"].resolve():
        raise InputError(f"{csv_path}: --csv and --geojson name the same file; expected two different files")
    reporter = Reporter(quiet)
    with reporter.running():
        table = score(
            source,
            sites=sites,
            demand=demand,
            existing=existing,
            minutes=minutes,
            speed_kmh=speed_kmh,
            progress=reporter,
            input_crs=_input_crs(input_crs),
            name_column=name_column,
            population_column=population_column,
            boundary=boundary,
            boundary_name=boundary_name,
            raster_mode=raster_mode,
            raster_units=raster_units,
            raster_band=raster_band,
        )
    contents = {}
    if csv_path:
        contents["--csv"] = table.to_csv(index=False)
    if geojson_path:
        import geopandas as gpd

        points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")
        contents["--geojson"] = geojson_text(points)
    # one atomic batch per folder
    by_folder: dict[Path, dict[str, str]] = {}
    for option, text in contents.items():
        by_folder.setdefault(targets[option].parent, {})[targets[option].name] = text
    for folder, files in by_folder.items():
        write_outputs(folder, files)
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    shown = table if top is None else table.head(top)
    view = Table(
        title=f"Candidate sites ranked by residents within {minutes:g} minutes' walk",
        caption=(
            f"worst home fixed: the home farthest from an existing station today that this site brings within "
            f"{minutes:g} min; minutes now → from the site (none: no station within {SCORE_HORIZON_MINUTES:g} min)"
        ),
    )
    columns = [
        ("rank", "rank"),
        ("name", "name"),
        ("population_within", f"≤{minutes:g} min"),
        ("population_10min", "≤10 min"),
        ("population_15min", "≤15 min"),
        ("marginal_population", "new"),
        ("greedy_gain", "greedy gain"),
        ("overlap_share", "overlap"),
    ]
    for _, title in columns:
        view.add_column(title, justify="left" if title == "name" else "right")
    view.add_column("worst home fixed", justify="left")
    for row in shown.itertuples(index=False):
        if isinstance(row.worst_home_id, str):
            now = row.worst_home_minutes_to_existing
            fixed = f"{row.worst_home_id}\n{'none' if pd.isna(now) else f'{now:.1f}'} → {row.worst_home_minutes_to_site:.1f}"
        else:
            fixed = "-"
        view.add_row(*(_cell(getattr(row, key)) for key, _ in columns), _cell(fixed))
    Console(highlight=False).print(view)
    for target in targets.values():
        click.echo(f"wrote {target}  ({len(table)} sites)")


@cli.command("curve")
@_common
@click.option(
    "--candidates", type=click.Path(dir_okay=False), default=None, help="Candidate sites file (default: OSM places)."
)
@click.option("--max-p", "max_p", type=int, required=True, help="Largest number of stations.")
@click.option("--time-limit", type=float, default=None, help="Seconds per solve.")
@click.option("--out", "out", type=str, default="maps", show_default=True, help="Output folder (curve.csv, curve.png).")
def curve_command(
    source,
    demand,
    existing,
    minutes,
    speed_kmh,
    input_crs,
    name_column,
    population_column,
    raster_mode,
    raster_units,
    raster_band,
    boundary,
    boundary_name,
    quiet,
    verbose,
    candidates,
    max_p,
    time_limit,
    out,
):
    """The exact best coverage for 1..--max-p stations, and how many reach 80/90/95/100 %."""
    from .curve import coverage_curve_plan
    from .io import check_output_dir, write_outputs

    _logging(verbose, quiet)
    if max_p < 1:
        raise click.UsageError(f"--max-p {max_p}: expected a whole number >= 1")
    out_dir = check_output_dir(out)
    reporter = Reporter(quiet)
    with reporter.running():
        curve, needed, png = coverage_curve_plan(
            source,
            demand=demand,
            candidates=candidates,
            existing=existing,
            minutes=minutes,
            speed_kmh=speed_kmh,
            max_p=max_p,
            time_limit=time_limit,
            progress=reporter,
            input_crs=_input_crs(input_crs),
            name_column=name_column,
            population_column=population_column,
            boundary=boundary,
            boundary_name=boundary_name,
            raster_mode=raster_mode,
            raster_units=raster_units,
            raster_band=raster_band,
        )
        paths = write_outputs(out_dir, {"curve.csv": curve.to_csv(index=False), "curve.png": png})
    for row in curve.itertuples(index=False):
        reporter.echo(
            f"p={row.p:>3}  {row.population_covered:>12,.0f} residents  {row.covered_share:7.1%}  {row.status}"
        )
    reporter.echo(
        "stations needed for "
        + ", ".join(f"{k}: {v if v is not None else f'more than {max_p}'}" for k, v in needed.items())
        + " of the reachable population"
    )
    for path in paths:
        reporter.echo(f"wrote {path}")


@cli.command("optimize")
@click.option(
    "--cost-matrix", "cost_matrix", type=str, required=True, help="CSV demand_id,site_id,minutes (long format)."
)
@click.option("--weights", "weights_path", type=str, default=None, help="CSV demand_id,population (default: 1 each).")
@click.option("--radius", type=float, required=True, help="Minutes within which a site covers a home.")
@click.option(
    "--model", type=str, default="lscp", show_default=True, help="lscp, mclp, pmedian, pcenter, backup, budget."
)
@click.option("--p", "p", type=int, default=None, help="Number of stations.")
@click.option("--time-limit", type=float, default=None, help="Seconds for the solver.")
@click.option(
    "--out", "out", type=str, default="maps", show_default=True, help="Output folder (result.json, selected_sites.csv)."
)
@click.option("--quiet", "-q", is_flag=True, help="Errors only.")
def optimize_command(cost_matrix, weights_path, radius, model, p, time_limit, out, quiet):
    """Solve a location model on your own travel times (no map, no network)."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from .io import check_output_dir, json_text, read_cost_matrix, read_weights, write_outputs
    from .optimize import check_model, solve

    _logging(False, quiet)
    check_model(model, p)
    out_dir = check_output_dir(out)
    matrix, demand_ids, site_ids = read_cost_matrix(cost_matrix)
    if weights_path:
        weights = read_weights(weights_path)
        extra = np.setdiff1d(weights.index.to_numpy().astype(str), demand_ids)
        # homes in the weights but absent from the matrix reach no site
        demand_ids = np.concatenate([demand_ids, np.sort(extra)])
        matrix = sp.vstack([matrix, sp.csr_matrix((len(extra), matrix.shape[1]))], format="csr")
        missing = np.setdiff1d(demand_ids, weights.index.to_numpy().astype(str))
        if len(missing):
            raise click.UsageError(
                f"{weights_path}: no population for demand_id {str(missing[0])!r} (and {len(missing) - 1} more)"
            )
        w = weights.reindex(demand_ids).to_numpy(float)
    else:
        w = np.ones(len(demand_ids))
    sol = solve(matrix, model=model, p=p, radius=radius, weights=w, time_limit=time_limit)
    result = {
        "model": model,
        "p": sol.p,
        "radius": radius,
        "n_demand": len(demand_ids),
        "n_sites": len(site_ids),
        "objective": sol.objective,
        "status": sol.status,
        "gap": sol.gap,
        "n_selected": sol.n_stations,
        "selected_site_ids": [str(site_ids[j]) for j in sol.selected],
        "population_total": sol.population_total,
        "population_coverable": sol.population_coverable,
        "population_covered": sol.population_covered,
        "covered_share": sol.covered_share,
        "uncoverable_demand_ids": [str(demand_ids[i]) for i in sol.uncoverable],
        "seconds": round(sol.seconds, 4),
    }
    from .coverage import within

    covered_by = np.asarray(within(matrix, radius)[:, sol.selected].T.astype(float) @ w).ravel()
    table = pd.DataFrame({"site_id": site_ids[sol.selected], "population_within": np.round(covered_by, 3)})
    paths = write_outputs(out_dir, {"result.json": json_text(result), "selected_sites.csv": table.to_csv(index=False)})
    if not quiet:
        click.echo(
            f"{model}: {sol.n_stations} sites, objective {sol.objective:,.4g} ({sol.status}), "
            f"covered {sol.population_covered:,.0f} of {sol.population_total:,.0f}"
        )
        for path in paths:
            click.echo(f"wrote {path}")


def _cell(value) -> str:
    from rich.markup import escape

    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1 or value == 0 else f"{value:.2f}"
    return escape(str(value))


def _logging(verbose: bool, quiet: bool) -> None:
    level = logging.INFO if verbose else (logging.ERROR if quiet else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # third-party chatter (pyrosm, osmnx) is not ours to print
    warnings.filterwarnings("ignore", module=r"(pyrosm|osmnx|geopandas|shapely|pandas)")
    warnings.showwarning = _show_warning
    if quiet:
        warnings.simplefilter("ignore")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning errors into one line and an exit code."""
    try:
        # each run sets its own warning filters (--quiet silences them): never for the rest of the process
        with warnings.catch_warnings():
            cli.main(args=argv, prog_name="planner", standalone_mode=False)
    except PlannerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        if type(exc).__name__.startswith("NoArgsIsHelp"):
            click.echo(exc.format_message())
            return 0
        click.echo(f"error: {exc.format_message()}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("error: interrupted; outputs from earlier runs are left as they were", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("error: interrupted; outputs from earlier runs are left as they were", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


def run() -> None:  # pragma: no cover - console-script wrapper
    """Console-script entry point (``planner``)."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
