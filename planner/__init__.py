"""Station Planner: where to put neighbourhood service stations so that every resident lives within a five-minute walk of one.

The pipeline is the package: :func:`load_network` -> :func:`load_demand` /
:func:`load_candidates` -> :func:`coverage` / :func:`isochrones` -> :func:`solve`
-> :func:`plan_map`; :func:`plan` and :func:`score` run them all; :func:`evaluate` scores any
set of stations.
"""

from importlib.metadata import PackageNotFoundError, version

from . import coverage, isochrones  # modules, callable as their stage function
from .areas import load_areas
from .config import CANDIDATE_TAGS, DEFAULTS, Defaults
from .coverage import Coverage
from .demand import load_demand
from .errors import DataError, InputError, PlannerError, SolverError
from .evaluation import Evaluation, evaluate
from .maps import plan_map
from .network import load_network
from .optimize import Solution, solve
from .pipeline import plan
from .result import Plan
from .score import score
from .sites import load_candidates

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
    "Plan",
    "PlannerError",
    "Solution",
    "SolverError",
    "__version__",
    "coverage",
    "evaluate",
    "isochrones",
    "load_areas",
    "load_candidates",
    "load_demand",
    "load_network",
    "plan",
    "plan_map",
    "score",
    "solve",
]
