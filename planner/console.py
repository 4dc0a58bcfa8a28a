"""What the command line prints: progress on a terminal (quiet with ``--quiet``) and a plan's report lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .config import DEFAULTS

__all__ = ["MAX_LISTED_STATIONS", "OUTPUT_DESCRIPTIONS", "Reporter", "report_plan"]


class Reporter:
    """Stage progress on a terminal (rich), nothing when quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self._progress: Any = None
        self._task: Any = None

    @contextmanager
    def running(self) -> Iterator[Reporter | None]:
        """A progress bar on a terminal while the block runs (nothing when quiet or not a terminal)."""
        if self.quiet:
            yield None
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        ) as progress:
            self._progress = progress
            self._task = progress.add_task("starting", total=1.0)
            yield self
            progress.update(self._task, completed=1.0, description="done")
        self._progress = None

    def __call__(self, message: str, fraction: float) -> None:
        """Show a stage's message and how far the run is (0 to 1)."""
        if self._progress is not None:
            self._progress.update(self._task, description=message, completed=fraction)
            if not self._progress.console.is_terminal:
                pass
        logging.getLogger("planner").info(message)

    def echo(self, text: str) -> None:
        """Print a line of the report (nothing when quiet)."""
        if not self.quiet:
            click.echo(text)


def report_plan(reporter: Reporter, result: Any, paths: list[Path]) -> None:
    """The lines ``planner plan`` prints after a run: the plan, its model's figures, areas, homes left out, files."""
    s = result.summary
    reporter.echo(
        f"{s['n_stations']} stations ({s['model']}, {s['solver_status']}) cover {s['population_covered']:,.0f} of "
        f"{s['population_total']:,.0f} residents ({s['covered_share']:.1%}) within {s['minutes']:g} minutes' walk"
    )
    if s["solver_status"] != "optimal":
        reporter.echo(f"not proven optimal: {s['solver_status']}, gap {s['gap']:.2%} (raise --time-limit)")
    _report_stations(reporter, result.stations)
    _report_figures(reporter, s)
    if result.area_table is not None:
        _report_areas(reporter, s, result.area_table)
    if s["n_uncoverable"]:
        _report_unreachable(reporter, s)
    for path in paths:
        reporter.echo(f"wrote {path}  ({OUTPUT_DESCRIPTIONS.get(path.name, '')})")


#: what each output file holds, as ``planner plan`` lists them
OUTPUT_DESCRIPTIONS = {
    "plan.html": "map",
    "report.html": "printable report (A4): question, assumptions, before / after, map, stations, curve",
    "stations.geojson": "proposed stations",
    "stations.csv": "station table: residents within and assigned, coordinates, cost",
    "stations.xlsx": "station table for Excel",
    "isochrones.geojson": "walking areas",
    "summary.json": "summary",
    "unreachable.csv": "homes no candidate reaches",
    "areas.csv": "population, share covered and nearest station per area",
}


#: stations listed in the terminal (all are in stations.csv)
MAX_LISTED_STATIONS = 20


def _report_stations(reporter: Reporter, stations: Any) -> None:
    """The stations by residents assigned (each covered home once, at its nearest station), most first."""
    if not len(stations) or "population_assigned" not in stations:
        return
    order = stations.sort_values(["population_assigned", "site_id"], ascending=[False, True], kind="stable")
    reporter.echo("stations (residents assigned: each covered home counted once, at its nearest station):")
    for row in order.head(MAX_LISTED_STATIONS).itertuples(index=False):
        reporter.echo(f"  {row.name} [{row.tier}, {row.status}]: {row.population_assigned:,.0f}")
    if len(order) > MAX_LISTED_STATIONS:
        reporter.echo(f"  ... and {len(order) - MAX_LISTED_STATIONS:,} more (stations.csv)")


def _report_figures(reporter: Reporter, s: dict[str, Any]) -> None:
    if "n_centres" in s:
        cap = f", at most {s['max_centres']}" if "max_centres" in s else ""
        reporter.echo(
            f"tiers: {s['n_centres']:.0f} community centres (within {s['tier_minutes']:g} min{cap}), "
            f"{s['n_grid']:.0f} grid stations"
        )
        if s.get("n_beyond_centre"):
            reporter.echo(
                f"  {s['n_beyond_centre']:,} homes ({s['population_beyond_centre']:,.0f} residents) have no "
                f"possible community centre within {s['tier_minutes']:g} min"
            )
    for key, label in (
        ("longest_walk", "longest walk to a station: {:.1f} min"),
        ("mean_minutes", "mean walk: {:.1f} min"),
        ("population_covered_twice", "covered twice: {:,.0f} residents"),
        ("smallest_gap_minutes", "closest two stations: {:.1f} min apart"),
        ("cost", "cost: {:g}"),
    ):
        if key in s:
            reporter.echo(label.format(s[key]))
    if "raster" in s:
        r = s["raster"]
        reporter.echo(
            f"population raster {r['name']} ({r['units']}, {r['placement']}): {r['population']:,.0f} people in "
            f"{r['cells']:,} cells inside the study area, {r['population_outside']:,.0f} outside it"
        )


def _report_areas(reporter: Reporter, s: dict[str, Any], table: Any) -> None:
    low = table[table["covered_share"] < 0.5]
    reporter.echo(
        f"areas: {s['n_areas']:,}; {len(low):,} with less than half their residents covered"
        + (
            f" (lowest: {s['lowest_area']['area']}, {s['lowest_area']['covered_share']:.1%})"
            if "lowest_area" in s
            else ""
        )
        + " (areas.csv)"
    )
    if s.get("population_outside_areas"):
        reporter.echo(f"  {s['population_outside_areas']:,.0f} residents live outside every area")


def _report_unreachable(reporter: Reporter, s: dict[str, Any]) -> None:
    reporter.echo(
        f"{s['n_uncoverable']} homes ({s['population_uncoverable']:,.0f} residents) are beyond a "
        f"{s['minutes']:g}-minute walk of every candidate site; the most populous:"
    )
    if s.get("n_off_network"):
        reporter.echo(
            f"  of which {s['n_off_network']:,} homes ({s['population_off_network']:,.0f} residents) are farther "
            f"than {DEFAULTS.max_snap_m:g} m from every mapped street (counted as not covered)"
        )
    for row in s["unreachable"][:5]:
        if str(row.get("reason", "")).startswith("no street"):
            near = f"{row['reason']} ({row['street_m']:,.0f} m)"
        elif row["nearest_site_name"] is not None:
            near = f"nearest candidate {row['nearest_site_name']} at {row['nearest_minutes']:.1f} min"
        else:
            near = "no candidate within an hour"
        reporter.echo(f"  {row['demand_id']}: {row['population']:,.0f} residents, {near}")
