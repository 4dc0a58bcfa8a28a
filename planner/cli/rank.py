"""``planner score``, ``planner curve`` and ``planner optimize``: rank sites, the coverage curve, a cost matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planner.cli._base import (
    ModelChoice,
    cli,
    common_options,
    lang_option,
    setup_logging,
    share_value,
    study_options,
    table_cell,
)
from planner.outputs.console import Reporter

__all__ = ["curve_command", "optimize_command", "score_command"]


@cli.command("score")
@common_options
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
@lang_option
def score_command(
    sites: str | None,
    csv_path: str | None,
    geojson_path: str | None,
    top: int | None,
    lang: str,
    **common: Any,
) -> None:
    """Rank candidate sites by the residents within a walk, what each adds, and the worst-served home it fixes."""
    from planner.runs.scoring import score

    quiet = setup_logging(common)
    targets = _ranking_targets(csv_path, geojson_path)
    reporter = Reporter(quiet)
    with reporter.running():
        study, walk = study_options(common, ("demand", "sites", "existing"), candidates=sites)
        table = score(study, walk=walk, progress=reporter)
    _write_ranking(table, targets)
    if not quiet:
        _print_ranking(table, common["minutes"], top, targets, lang)


@cli.command("curve")
@common_options
@click.option(
    "--candidates", type=click.Path(dir_okay=False), default=None, help="Candidate sites file (default: OSM places)."
)
@click.option("--max-p", "max_p", type=int, required=True, help="Largest number of stations.")
@click.option("--time-limit", type=float, default=None, help="Seconds per solve.")
@click.option("--out", "out", type=str, default="maps", show_default=True, help="Output folder (curve.csv, curve.png).")
@lang_option
def curve_command(
    candidates: str | None,
    max_p: int,
    time_limit: float | None,
    out: str,
    lang: str,
    **common: Any,
) -> None:
    """The exact best coverage for 1..--max-p stations, and how many reach 80/90/95/100 %."""
    from planner.outputs.files import check_output_dir, csv_text, write_outputs
    from planner.runs.curve import coverage_curve_plan

    quiet = setup_logging(common)
    if max_p < 1:
        raise click.UsageError(f"--max-p {max_p}: expected a whole number >= 1")
    out_dir = check_output_dir(out)
    reporter = Reporter(quiet)
    with reporter.running():
        study, walk = study_options(common, ("demand", "candidates", "existing"), candidates=candidates)
        curve, needed, png = coverage_curve_plan(
            study,
            walk=walk,
            max_p=max_p,
            time_limit=time_limit,
            progress=reporter,
            lang=lang,
        )
        paths = write_outputs(out_dir, {"curve.csv": csv_text(curve), "curve.png": png})
    _print_curve(reporter, curve, needed, max_p, paths, lang)


@cli.command("optimize")
@click.option(
    "--cost-matrix", "cost_matrix", type=str, required=True, help="CSV demand_id,site_id,minutes (long format)."
)
@click.option("--weights", "weights_path", type=str, default=None, help="CSV demand_id,population (default: 1 each).")
@click.option(
    "--radius",
    type=float,
    default=None,
    help="Minutes within which a site covers a home (lscp, mclp, pscp, backup); pmedian / pcenter: a longest "
    "walk allowed, default none (every listed time counts).",
)
@click.option(
    "--model",
    type=ModelChoice(),
    default="lscp",
    show_default=True,
    help="lscp, mclp, pscp, pmedian, pcenter, backup (pdispersion and budget need planner.solve or planner plan).",
)
@click.option("--p", "p", type=int, default=None, help="Number of stations.")
@click.option("--share", type=str, default=None, help="pscp: fraction of the population to cover (0.9 or 90%).")
@click.option("--time-limit", type=float, default=None, help="Seconds for the solver.")
@click.option(
    "--out", "out", type=str, default="maps", show_default=True, help="Output folder (result.json, selected_sites.csv)."
)
@click.option("--quiet", "-q", is_flag=True, help="Errors only.")
def optimize_command(
    cost_matrix: str,
    weights_path: str | None,
    radius: float | None,
    model: str,
    p: int | None,
    share: Any,  # --share as typed, then share_value's parse; check_model checks it before solve
    time_limit: float | None,
    out: str,
    quiet: bool,
) -> None:
    """Solve a location model on your own travel times (no map, no network)."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from planner.io import read_cost_matrix, read_weights
    from planner.optimize import MODEL_SPECS, check_model, solve
    from planner.outputs.files import check_output_dir, csv_text, json_text, write_outputs

    setup_logging({"quiet": quiet})
    share = share_value(share)
    check_model(model, p, share=share)
    if not MODEL_SPECS[model].from_cost_matrix:
        raise click.UsageError(
            f"--model {model}: not from a demand x site cost matrix (pdispersion needs sites x sites walks, budget "
            "a cost per site); use planner.solve in Python, or planner plan"
        )
    if radius is None and MODEL_SPECS[model].needs_radius:
        raise click.UsageError(f"--model {model} needs --radius (minutes within which a site covers a home)")
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
    sol = solve(matrix, model=model, p=p, radius=radius, weights=w, share=share, time_limit=time_limit)
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
        **sol.result.figures(),
    }
    from planner.reach.matrix import within

    # without a radius every listed time counts: "within" is then every home with a time to the site
    covered_by = np.asarray(within(matrix, np.inf if radius is None else radius)[:, sol.selected].T.astype(float) @ w)
    covered_by = covered_by.ravel()
    table = pd.DataFrame({"site_id": site_ids[sol.selected], "population_within": np.round(covered_by, 3)})
    paths = write_outputs(out_dir, {"result.json": json_text(result), "selected_sites.csv": csv_text(table)})
    if not quiet:
        from planner.text import words

        t = words("en", "cli")  # no --lang: a cost matrix of the user's own
        figures = {"objective": sol.objective, "covered": sol.population_covered, "total": sol.population_total}
        click.echo(t["optimize_result"].format(model=model, n=sol.n_stations, status=sol.status, **figures))
        for path in paths:
            click.echo(t["wrote"].format(path=path))


def _ranking_targets(csv_path: str | None, geojson_path: str | None) -> dict[str, Path]:
    """The ``--csv`` / ``--geojson`` files, checked before any work (as check_output_dir does for --out)."""
    import os

    from planner.errors import InputError

    targets = {option: Path(value) for option, value in (("--csv", csv_path), ("--geojson", geojson_path)) if value}
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
    return targets


def _write_ranking(table: Any, targets: dict[str, Path]) -> None:
    """The ranking as CSV and / or GeoJSON, one atomic batch per folder."""
    from planner.outputs.files import csv_text, geojson_text, write_outputs

    contents = {}
    if "--csv" in targets:
        contents["--csv"] = csv_text(table)
    if "--geojson" in targets:
        import geopandas as gpd

        points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")
        contents["--geojson"] = geojson_text(points)
    # one atomic batch per folder
    by_folder: dict[Path, dict[str, str | bytes]] = {}
    for option, text in contents.items():
        by_folder.setdefault(targets[option].parent, {})[targets[option].name] = text
    for folder, files in by_folder.items():
        write_outputs(folder, files)


def _print_curve(reporter: Reporter, curve: Any, needed: dict[str, Any], max_p: int, paths: list, lang: str) -> None:
    """The curve's table, the stations needed for 80/90/95/100 % of the reachable and of all, the files."""
    from planner.optimize.maxcover import first_p
    from planner.text import words as phrases

    t = phrases(lang, "cli")
    reporter.echo(t["curve_header"])
    for row in curve.itertuples(index=False):
        shares = {"share": row.covered_share, "reachable": row.coverable_share}
        reporter.echo(t["curve_row"].format(p=row.p, covered=row.population_covered, status=row.status, **shares))
    more = t["more_than"].format(p=max_p)
    reporter.echo(
        t["needed_reachable"]
        + ", ".join(t["needed_item"].format(share=k, p=v if v is not None else more) for k, v in needed.items())
    )
    reachable = curve["coverable_share"].to_numpy()
    ceiling = float((curve["covered_share"] / reachable)[reachable > 0].iloc[0]) if (reachable > 0).any() else 0.0
    words = []
    for target in (80, 90, 95, 100):
        first = first_p(curve, "covered_share", target / 100)
        if first is not None:
            words.append(t["needed_item"].format(share=f"{target}%", p=first))
        else:
            never = t["never"].format(ceiling=ceiling) if target / 100 > ceiling + 1e-9 else more
            words.append(t["needed_item"].format(share=f"{target}%", p=never))
    reporter.echo(t["needed_all"] + ", ".join(words))
    for path in paths:
        reporter.echo(t["wrote"].format(path=path))


def _print_ranking(table: Any, minutes: float, top: int | None, targets: dict[str, Path], lang: str = "en") -> None:
    """The ranking as a terminal table, then the files written."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from planner.runs.scoring import SCORE_HORIZON_MINUTES
    from planner.text import words

    t = words(lang, "cli")
    shown = table if top is None else table.head(top)
    view = Table(
        title=t["rank_title"].format(minutes=minutes),
        caption=t["rank_caption"].format(minutes=minutes, horizon=SCORE_HORIZON_MINUTES),
    )
    keys = [
        "rank",
        "name",
        "population_within",
        "population_10min",
        "population_15min",
        "marginal_population",
        "greedy_gain",
        "overlap_share",
    ]
    *titles, worst = t["rank_columns"].format(minutes=minutes).split("|")
    for key, title in zip(keys, titles):
        view.add_column(title, justify="left" if key == "name" else "right")
    view.add_column(worst, justify="left")
    for row in shown.itertuples(index=False):
        if isinstance(row.worst_home_id, str):
            now = row.worst_home_minutes_to_existing
            now_text = t["none"] if pd.isna(now) else f"{now:.1f}"
            fixed = t["rank_fixed"].format(home=row.worst_home_id, now=now_text, site=row.worst_home_minutes_to_site)
        else:
            fixed = t["rank_not_fixed"]
        view.add_row(*(table_cell(getattr(row, key)) for key in keys), table_cell(fixed))
    Console(highlight=False).print(view)
    for target in targets.values():
        click.echo(t["wrote_sites"].format(path=target, n=len(table)))
