"""``python -m planner.cli``."""

from . import run

run()
