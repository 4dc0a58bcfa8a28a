"""The ``planner`` command: a thin layer over the public API.

``planner plan`` runs the whole pipeline and writes the map, GeoJSON and summary;
``planner score`` ranks candidate sites. Errors print one line and exit with 2
(usage: a bad option or file shape) or 1 (data: nothing reachable, corrupt data).
"""

from __future__ import annotations

import logging
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__
from .config import DEFAULTS
from .errors import PlannerError

SOURCE_HELP = (
    "OSM source: an .osm.pbf, .osm, .osm.bz2, .xml or .graphml file, a bbox 'minlon,minlat,maxlon,maxlat' "
    "or a place name (downloads need internet). Default: the embedded central-Helsinki extract."
)


class _Reporter:
    """Stage progress on a terminal (rich), nothing when quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self._progress = None
        self._task = None

    @contextmanager
    def running(self):
        if self.quiet:
            yield None
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=console, transient=False, disable=not console.is_terminal,
        ) as progress:
            self._progress = progress
            self._task = progress.add_task("starting", total=1.0)
            yield self
            progress.update(self._task, completed=1.0, description="done")
        self._progress = None

    def __call__(self, message: str, fraction: float) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=message, completed=fraction)
            if not self._progress.console.is_terminal:
                pass
        logging.getLogger("planner").info(message)

    def echo(self, text: str) -> None:
        if not self.quiet:
            click.echo(text)


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    click.echo(f"warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
def cli():
    """Station Planner: where to put neighbourhood service stations so that every
    resident lives within a five-minute walk of one."""


def _common(f):
    options = [
        click.option("--source", default=None, help=SOURCE_HELP),
        click.option("--demand", type=click.Path(dir_okay=False), default=None,
                     help="Population file: CSV lon,lat,population, GeoJSON or GPKG. Default: OSM residential buildings."),
        click.option("--existing", type=click.Path(dir_okay=False), default=None,
                     help="Existing stations (CSV lon,lat[,name][,site_id], GeoJSON or GPKG); always kept."),
        click.option("--minutes", type=float, default=DEFAULTS.minutes, show_default=True, help="Walking time limit."),
        click.option("--speed", "speed_kmh", type=float, default=DEFAULTS.speed_kmh, show_default=True, help="Walking speed, km/h."),
        click.option("--quiet", "-q", is_flag=True, help="No progress and no report; errors only."),
        click.option("--verbose", "-v", is_flag=True, help="Log each stage."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@cli.command("plan")
@_common
@click.option("--candidates", type=click.Path(dir_okay=False), default=None,
              help="Candidate sites (CSV lon,lat[,name][,site_id], GeoJSON or GPKG). Default: OSM community centres, offices, parks, squares...")
@click.option("--model", type=str, default="lscp", show_default=True,
              help="lscp: fewest stations covering every reachable home; mclp: --p stations covering the most people.")
@click.option("--p", "p", type=int, default=None, help="Number of stations (mclp).")
@click.option("--time-limit", type=float, default=None, help="Seconds for the solver; the best plan found so far is kept.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of the map.")
@click.option("--out", "out", type=str, default="maps", show_default=True, help="Output folder.")
def plan_command(source, demand, existing, minutes, speed_kmh, quiet, verbose, candidates, model, p, time_limit, lang, out):
    """Propose stations so that homes are within a walk of one; write a map, GeoJSON and a summary."""
    from .io import check_output_dir
    from .pipeline import plan, validate_model

    _logging(verbose, quiet)
    validate_model(model, p)
    out_dir = check_output_dir(out)
    reporter = _Reporter(quiet)
    with reporter.running():
        result = plan(
            source, demand=demand, candidates=candidates, existing=existing, minutes=minutes,
            speed_kmh=speed_kmh, model=model, p=p, time_limit=time_limit, progress=reporter,
        )
        reporter("writing outputs", 0.5)
        paths = result.write(out_dir, lang=lang)
    s = result.summary
    reporter.echo(
        f"{s['n_stations']} stations ({s['model']}, {s['solver_status']}) cover {s['population_covered']:,.0f} of "
        f"{s['population_total']:,.0f} residents ({s['covered_share']:.1%}) within {s['minutes']:g} minutes' walk"
    )
    if s["n_uncoverable"]:
        reporter.echo(
            f"{s['n_uncoverable']} homes ({s['population_uncoverable']:,.0f} residents) are beyond a "
            f"{s['minutes']:g}-minute walk of every candidate site"
        )
    descriptions = {
        "plan.html": "map",
        "stations.geojson": "proposed stations",
        "isochrones.geojson": "walking areas",
        "summary.json": "summary",
    }
    for path in paths:
        reporter.echo(f"wrote {path}  ({descriptions.get(path.name, '')})")


@cli.command("score")
@_common
@click.option("--sites", type=click.Path(dir_okay=False), default=None,
              help="Your shortlist (CSV lon,lat[,name], GeoJSON). Default: every candidate place of the source.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Write the ranking to this CSV file.")
@click.option("--top", type=int, default=None, help="Show only the best N in the terminal.")
def score_command(source, demand, existing, minutes, speed_kmh, quiet, verbose, sites, csv_path, top):
    """Rank candidate sites by the residents within a walk, and what each adds."""
    from .io import check_output_dir, write_outputs
    from .pipeline import score

    _logging(verbose, quiet)
    if csv_path:
        check_output_dir(Path(csv_path).parent if str(Path(csv_path).parent) else ".")
    reporter = _Reporter(quiet)
    with reporter.running():
        table = score(source, sites=sites, demand=demand, existing=existing, minutes=minutes,
                      speed_kmh=speed_kmh, progress=reporter)
    if csv_path:
        target = Path(csv_path)
        write_outputs(target.parent, {target.name: table.to_csv(index=False)})
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    shown = table if top is None else table.head(top)
    view = Table(title=f"Candidate sites ranked by residents within {minutes:g} minutes' walk")
    columns = [("rank", "rank"), ("name", "name"), ("population_within", f"≤{minutes:g} min"),
               ("population_10min", "≤10 min"), ("population_15min", "≤15 min"),
               ("marginal_population", "new"), ("greedy_gain", "greedy gain"), ("overlap_share", "overlap")]
    for _, title in columns:
        view.add_column(title, justify="left" if title == "name" else "right")
    for row in shown.itertuples(index=False):
        view.add_row(*(_cell(getattr(row, key)) for key, _ in columns))
    Console(highlight=False).print(view)
    if csv_path:
        click.echo(f"wrote {csv_path}  ({len(table)} sites)")


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
