"""What the command line prints: progress on a terminal (quiet with ``--quiet``) and a plan's report lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from planner.config import DEFAULTS
from planner.outputs.account import account_blocks
from planner.outputs.summary import plan_summary
from planner.text import words

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


def report_plan(reporter: Reporter, result: Any, paths: list[Path], lang: str = "en") -> None:
    """
    The lines ``planner plan`` prints after a run: the plan, its model's figures, areas, homes left out, files.

    Parameters
    ----------
    reporter
        Where the lines go (nothing when quiet).
    result
        The :class:`planner.Plan`.
    paths
        The files written.
    lang
        ``"en"`` or ``"zh"``: the lines' words are :mod:`planner.text.cli`'s.
    """
    t = words(lang, "cli")
    s = plan_summary(result)
    reporter.echo(
        t["headline"].format(
            n=s["n_stations"],
            model=s["model"],
            status=t.get(f"value_{s['solver_status']}", s["solver_status"]),
            covered=s["population_covered"],
            total=s["population_total"],
            share=s["covered_share"],
            minutes=s["minutes"],
        )
    )
    if s["solver_status"] != "optimal":
        status = t.get(f"value_{s['solver_status']}", s["solver_status"])
        reporter.echo(t["not_optimal"].format(status=status, gap=s["gap"]))
    _report_stations(reporter, result.stations, t)
    _report_ledger(reporter, result.ledger, lang, t)
    _report_figures(reporter, s, t)
    if result.area_table is not None:
        _report_areas(reporter, s, result.area_table, t)
    if s["n_uncoverable"]:
        _report_unreachable(reporter, s, result.ledger, t)
    shp = sorted({path.parent for path in paths if path.parent.name == "shp"})  # one line for the folder
    for path in [path for path in paths if path.parent.name != "shp"] + shp:
        what = t.get(f"output_{path.name}", OUTPUT_DESCRIPTIONS.get(path.name, ""))
        reporter.echo(t["wrote_what"].format(path=path, what=what))


#: what each output file holds, as ``planner plan`` lists them (the English of ``output_<file>`` in
#: :mod:`planner.text.cli`)
OUTPUT_DESCRIPTIONS = {k[len("output_") :]: v for k, v in words("en", "cli").items() if k.startswith("output_")}


#: stations listed in the terminal (all are in stations.csv)
MAX_LISTED_STATIONS = 20


def _report_stations(reporter: Reporter, stations: Any, t: Mapping[str, str]) -> None:
    """The stations by residents assigned (each covered home once, at its nearest station), most first."""
    if not len(stations) or "population_assigned" not in stations:
        return
    order = stations.sort_values(["population_assigned", "site_id"], ascending=[False, True], kind="stable")
    reporter.echo(t["stations"])
    for row in order.head(MAX_LISTED_STATIONS).itertuples(index=False):
        tier, status = (t.get(f"value_{v}", str(v)) for v in (row.tier, row.status))
        reporter.echo(t["station"].format(name=row.name, tier=tier, status=status, population=row.population_assigned))
    if len(order) > MAX_LISTED_STATIONS:
        reporter.echo(t["more_stations"].format(n=len(order) - MAX_LISTED_STATIONS))


def _report_ledger(reporter: Reporter, ledger: Any, lang: str, t: Mapping[str, str]) -> None:
    """The plan's account (:func:`planner.outputs.account.account_blocks`): every resident and site, once."""
    for block in account_blocks(ledger, lang):
        reporter.echo(t["account_heading"].format(heading=block.heading, columns=" / ".join(block.columns)))
        for label, n, people in block.rows:
            figures = " / ".join(f"{v:,.0f}" for v in (n, people) if v is not None)
            reporter.echo(t["account_row"].format(label=label, figures=figures))


def _report_figures(reporter: Reporter, s: dict[str, Any], t: Mapping[str, str]) -> None:
    if "n_centres" in s:
        cap = t["tiers_cap"].format(n=s["max_centres"]) if "max_centres" in s else ""
        reporter.echo(t["tiers"].format(centres=s["n_centres"], minutes=s["tier_minutes"], cap=cap, grid=s["n_grid"]))
        if s.get("n_beyond_centre"):  # the account's no_possible_centre class
            reporter.echo(
                t["beyond_centre"].format(
                    homes=s["n_beyond_centre"], population=s["population_beyond_centre"], minutes=s["tier_minutes"]
                )
            )
    if "target_population" in s:
        reporter.echo(
            t["pscp"].format(
                share=s["share"], target=s["target_population"], lower=s["lower_bound"], greedy=s["greedy_count"]
            )
        )
    for key in ("longest_walk", "mean_minutes", "population_covered_twice", "smallest_gap_minutes", "cost"):
        if key in s:
            reporter.echo(t[key].format(value=s[key]))
    if "raster" in s:
        r = s["raster"]
        reporter.echo(
            t["raster"].format(
                name=r["name"],
                units=r["units"],
                placement=r["placement"],
                population=r["population"],
                cells=r["cells"],
                outside=r["population_outside"],
            )
        )


def _report_areas(reporter: Reporter, s: dict[str, Any], table: Any, t: Mapping[str, str]) -> None:
    from planner.demand.areas import OUTSIDE

    low = table[(table["covered_share"] < 0.5) & (table["area"] != OUTSIDE)]  # the homes outside: a line of their own
    lowest = (
        t["areas_lowest"].format(area=s["lowest_area"]["area"], share=s["lowest_area"]["covered_share"])
        if "lowest_area" in s
        else ""
    )
    reporter.echo(t["areas"].format(n=s["n_areas"], low=len(low), lowest=lowest))
    if s.get("population_outside_areas"):
        reporter.echo(t["outside_areas"].format(population=s["population_outside_areas"]))


def _report_unreachable(reporter: Reporter, s: dict[str, Any], ledger: Any, t: Mapping[str, str]) -> None:
    """The homes no plan can cover, by the account's class (each line counts its class only), then the first few."""
    for cls, key in (("no_candidate", "unreachable"), ("only_unusable", "only_unusable")):
        if ledger.n(cls):
            reporter.echo(t[key].format(homes=ledger.n(cls), population=ledger.people(cls), minutes=ledger.minutes))
    if ledger.n("off_network"):
        reporter.echo(
            t["off_network"].format(
                homes=ledger.n("off_network"), population=ledger.people("off_network"), metres=DEFAULTS.max_snap_m
            )
        )
    reporter.echo(t["left_out_rows"])
    for row in s["unreachable"][:5]:
        if str(row.get("reason", "")).startswith("no street"):
            near = t["no_street"].format(metres=row["street_m"], snap=DEFAULTS.max_snap_m)
        elif str(row.get("reason", "")).startswith("only unusable"):
            near = t["unusable"].format(name=row["nearest_site_name"], minutes=row["nearest_minutes"])
        elif isinstance(row["nearest_site_name"], str) and row["nearest_site_name"].strip():
            near = t["nearest"].format(name=row["nearest_site_name"], minutes=row["nearest_minutes"])
        else:
            near = t["no_candidate"]
        name = row.get("name")
        named = isinstance(name, str) and name.strip()
        home = t["home_named"].format(name=name, id=row["demand_id"]) if named else row["demand_id"]
        reporter.echo(t["unreachable_row"].format(id=home, population=row["population"], near=near))
