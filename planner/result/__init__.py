"""The result of a plan run: :class:`Plan` (data, rendered by :mod:`planner.outputs`) and its own tables.

- :mod:`~planner.result.plan`: :class:`Plan`, the stage outputs, the solution and the account of every resident
  and site (:class:`planner.ledger.Ledger`), computed once by :func:`planner.plan`;
- :mod:`~planner.result.tables`: the chosen stations' table and the areas' figures.
"""

from planner.result.plan import Plan
from planner.result.tables import area_results, served_population, station_table

__all__ = ["Plan", "area_results", "served_population", "station_table"]
