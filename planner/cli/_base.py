"""The ``planner`` command group, its shared options, logging and the error-to-exit-code entry point.

``planner plan`` runs the whole pipeline and writes the map, GeoJSON and summary;
``planner score`` ranks candidate sites. Errors print one line and exit with 2
(usage: a bad option or file shape) or 1 (data: nothing reachable, corrupt data).
"""

from __future__ import annotations

import gc
import logging
import sys
import warnings
from typing import Any, TextIO

import click

from planner import __version__
from planner.config import DEFAULTS
from planner.errors import PlannerError
from planner.study import Study, Walk

__all__ = [
    "COMMON_OPTIONS",
    "SOURCE_HELP",
    "cli",
    "common_options",
    "input_crs_option",
    "lang_option",
    "main",
    "run",
    "setup_logging",
    "share_value",
    "table_cell",
]

SOURCE_HELP = (
    "OSM source: an .osm.pbf, .osm, .osm.bz2, .xml or .graphml file, a bbox 'minlon,minlat,maxlon,maxlat' "
    "or a place name (downloads need internet). Default: the embedded central-Helsinki extract."
)


def input_crs_option(values: tuple[str, ...], reads: tuple[str, ...] | None = None) -> dict[str, str] | None:
    """
    ``--input-crs`` values as the ``input_crs`` of :func:`planner.plan` (a dict by file; ``*`` for all).

    ``reads``: the files the command reads; a key for another is refused (it would change nothing).
    """
    from planner.sites import INPUT_FILES

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
        if reads is not None and key != "*" and key not in reads:
            hint = f" (its sites are --sites: sites={crs})" if key == "candidates" and "sites" in reads else ""
            raise click.UsageError(
                f"--input-crs {value}: this command reads no {key} file{hint}; expected {', '.join(reads)}"
            )
        if not crs:
            raise click.UsageError(f"--input-crs {value}: no CRS given; expected wgs84, gcj02, bd09 or e.g. EPSG:4547")
        out[key] = crs
    return out or None


def _show_warning(
    message: Warning | str,
    _category: type[Warning],
    _filename: str,
    _lineno: int,
    _file: TextIO | None = None,
    _line: str | None = None,
) -> None:
    """``warnings.showwarning`` for the CLI: one line, the message only (where it came from is not the user's)."""
    click.echo(f"warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
def cli() -> None:
    """Station Planner: where to put neighbourhood service stations so that every resident lives within a five-minute walk of one."""


#: the options every command that reads an area shares (source, files, walk, boundary, output level)
COMMON_OPTIONS = [
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


#: ``--lang`` of plan / score / curve: the map, the lines printed and the charts
lang_option = click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the map, the report, the lines printed and the charts (zh: 中文; charts need a CJK font such as fonts-noto-cjk).",
)


def common_options(f: Any) -> Any:
    """Decorate a command with :data:`COMMON_OPTIONS`, in order."""
    for option in reversed(COMMON_OPTIONS):
        f = option(f)
    return f


def table_cell(value: object) -> str:
    from rich.markup import escape

    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1 or value == 0 else f"{value:.2f}"
    return escape(str(value))


def setup_logging(common: dict[str, Any]) -> bool:
    """Logging and warnings as ``--verbose`` / ``--quiet`` ask (of the :data:`COMMON_OPTIONS`); returns quiet."""
    verbose, quiet = bool(common.get("verbose")), bool(common.get("quiet"))
    level = logging.INFO if verbose else (logging.ERROR if quiet else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # third-party chatter (pyrosm, osmnx) is not ours to print
    warnings.filterwarnings("ignore", module=r"(pyrosm|osmnx|geopandas|shapely|pandas)")
    warnings.showwarning = _show_warning  # type: ignore[assignment]  # its names differ; Python calls it positionally
    if quiet:
        warnings.simplefilter("ignore")
    return quiet


class ModelChoice(click.Choice):
    """``--model``: one of the models of :data:`planner.optimize.MODEL_SPECS`, refused in the planner's words."""

    def __init__(self) -> None:
        from planner.optimize import MODEL_SPECS

        super().__init__(list(MODEL_SPECS))

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if value not in self.choices:
            self.fail(
                f"model={value!r}: unknown model; expected one of {', '.join(map(str, self.choices))}", param, ctx
            )
        return value


def study_options(common: dict[str, Any], reads: tuple[str, ...], **files: Any) -> tuple[Study, Walk]:
    """The :data:`COMMON_OPTIONS` (and the command's own ``files``) as the study and the walk, checked once here.

    ``reads``: the files the command reads (see :func:`input_crs_option`).
    """
    args = {key: value for key, value in common.items() if key not in ("quiet", "verbose", "input_crs")}
    walk = Walk(args.pop("minutes"), args.pop("speed_kmh"))
    args["input_crs"] = input_crs_option(common.get("input_crs", ()), reads)
    return Study(**args, **files), walk


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
    # the objects of the imports (a second of modules) live until exit: the cyclic collector need not walk them in
    # every full collection of the run (0.4-1.1 s of a default plan measured; the plan's own objects are collected)
    gc.freeze()
    sys.exit(main())


def share_value(text: str | None) -> float | str | None:
    """``--share`` as a fraction: ``0.9`` or ``90%`` (anything else is passed on for the model's one-line error)."""
    if text is None:
        return None
    value = text.strip()
    try:
        return float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        return text
