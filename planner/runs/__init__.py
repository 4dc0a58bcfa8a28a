"""The whole pipeline in one call: :func:`plan`, :func:`score` and :func:`coverage_curve_plan`.

Each reads its inputs the same way (:mod:`~planner.runs.inputs`), runs the stages and returns plain results
that :mod:`planner.outputs` renders.
"""

from planner.runs.curve import coverage_curve_plan
from planner.runs.pipeline import plan
from planner.runs.scoring import score

__all__ = ["coverage_curve_plan", "plan", "score"]
