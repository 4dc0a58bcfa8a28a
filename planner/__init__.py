"""Station Planner: where to put neighbourhood service stations so that every resident lives within a five-minute walk of one.

The pipeline is the package: :func:`load_network` -> :func:`load_demand` /
:func:`load_candidates` -> :func:`coverage` / :func:`isochrones` -> :func:`solve`
-> :func:`plan_map` / :func:`write`; :func:`plan` and :func:`score` run them all; :func:`evaluate` scores any
set of stations.
"""

from importlib.metadata import PackageNotFoundError, version

from planner.config import CANDIDATE_TAGS, DEFAULTS, Defaults
from planner.demand.areas import load_areas
from planner.demand.points import load_demand
from planner.errors import DataError, InputError, PlannerError, SolverError
from planner.network.sources import load_network
from planner.optimize import Solution, solve
from planner.outputs import MapContent, draw_map, plan_map, plan_report, plan_summary, write
from planner.reach import coverage, isochrones
from planner.reach.evaluation import Evaluation, evaluate
from planner.reach.matrix import Coverage
from planner.result import Plan
from planner.runs.pipeline import plan
from planner.runs.scoring import score
from planner.sites import load_candidates
from planner.study import Study, Tiers, Walk

try:
    __version__ = version("station-planner")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "CANDIDATE_TAGS",
    "DEFAULTS",
    "Coverage",
    "DataError",
    "Defaults",
    "Evaluation",
    "InputError",
    "MapContent",
    "Plan",
    "PlannerError",
    "Solution",
    "SolverError",
    "Study",
    "Tiers",
    "Walk",
    "__version__",
    "coverage",
    "draw_map",
    "evaluate",
    "isochrones",
    "load_areas",
    "load_candidates",
    "load_demand",
    "load_network",
    "plan",
    "plan_map",
    "plan_report",
    "plan_summary",
    "score",
    "solve",
    "write",
]
