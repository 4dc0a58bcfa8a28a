"""The p-center model: ``p`` stations minimising the longest walk of any reachable home.

- :mod:`~planner.optimize.center.model`: :func:`pcenter`, a binary search over set-covering problems;
- :mod:`~planner.optimize.center.search`: the local search that gives each step its starting plan.
"""

from planner.optimize.center.model import pcenter

__all__ = ["pcenter"]
