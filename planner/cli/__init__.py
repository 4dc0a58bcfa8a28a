"""The ``planner`` command: a thin layer over the public API.

``planner plan`` runs the whole pipeline and writes the map, GeoJSON and summary;
``planner score`` ranks candidate sites; ``planner curve`` draws the coverage
curve; ``planner optimize`` solves a cost matrix. Errors print one line and exit
with 2 (usage: a bad option or file shape) or 1 (data: nothing reachable, corrupt data).
"""

from planner.cli._base import SOURCE_HELP, cli, main, run
from planner.cli.plan import plan_command
from planner.cli.rank import curve_command, optimize_command, score_command

__all__ = ["SOURCE_HELP", "cli", "curve_command", "main", "optimize_command", "plan_command", "run", "score_command"]
