"""A plan's results as tables: its stations, its areas, and ``summary.json`` (figures computed from its typed fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from planner.demand.areas import OUTSIDE
from planner.ledger import UNCOVERABLE, Ledger
from planner.outputs.account import account_dict
from planner.outputs.files import json_safe
from planner.result import Plan
from planner.text import words

Progress = Callable[[str, float], None]

__all__ = ["plan_summary", "station_sheet"]


def plan_summary(p: Plan) -> dict[str, Any]:
    """
    The figures of ``summary.json`` for a plan (read by the CLI and the map).

    Parameters
    ----------
    p
        The plan.

    Returns
    -------
    dict
        Inputs, totals, coverage, solver status, stage seconds, the model's own
        figures, the first 50 unreachable homes, and boundary / area figures when known.
    """
    sol, homes, sites = p.solution, p.demand, p.sites
    ledger = p.ledger
    summary: dict[str, Any] = {
        "source": p.network.graph.get("source"),
        "minutes": p.minutes,
        "speed_kmh": p.speed_kmh,
        "model": p.model,
        "p": sol.p,
        "n_candidates": int((~p.existing).sum()),
        "n_existing": int(p.existing.sum()),
        "n_demand": len(homes),
        "n_network_nodes": p.network.number_of_nodes(),
        "n_network_edges": p.network.number_of_edges(),
        "demand_method": str(homes["method"].iloc[0]) if len(homes) else None,
        # every figure below is the account's (planner.ledger): the plan's homes, by class
        "population_total": round(ledger.population_plan, 1),
        "population_coverable": round(ledger.population_plan - ledger.people(*UNCOVERABLE), 1),
        "population_covered": round(ledger.served, 1),
        "covered_share": round(ledger.served / ledger.population_plan, 6) if ledger.population_plan > 0 else 0.0,
        # beyond every usable site, or off the streets: no plan can cover them
        "n_uncoverable": sum(ledger.n(c) for c in UNCOVERABLE),
        "population_uncoverable": round(ledger.people(*UNCOVERABLE), 1),
        # homes farther than the snapping distance from every street: in every
        # total, never covered (also among the uncoverable)
        "n_off_network": ledger.n("off_network"),
        "population_off_network": round(ledger.people("off_network"), 1),
        "sites_off_network": json_safe(sites.attrs.get("off_network", [])),
        "n_stations": sol.n_stations,
        "objective": round(sol.objective, 4),
        "solver_status": sol.status,
        "gap": sol.gap,
        "seconds": dict(p.seconds),
        # JSON has no NaN: a home with no candidate within the look-up range gets null minutes
        "unreachable": [] if p.unreachable is None else json_safe(p.unreachable.head(50).to_dict(orient="records")),
    }
    summary.update(sol.result.figures())
    if ledger.centres is not None:  # the account's class (the model's figure also counts the homes off the streets)
        summary["n_beyond_centre"] = ledger.n_centre("no_possible_centre")
        summary["population_beyond_centre"] = round(ledger.people_centre("no_possible_centre"), 4)
    if p.budget is not None:
        summary["budget"] = p.budget
    # the input files by name (no folders: the summary is handed on)
    for key, frame, attr in (
        ("demand_file", homes, "file"),
        ("candidate_file", sites, "candidate_file"),
        ("existing_file", sites, "existing_file"),
    ):
        if frame.attrs.get(attr):
            summary[key] = str(frame.attrs[attr])
    if "raster" in homes.attrs:
        summary["raster"] = json_safe(homes.attrs["raster"])
        summary["demand_method"] = f"raster ({homes.attrs['raster']['placement']})"
    summary.update(_boundary_figures(p, ledger))
    summary.update(_area_figures(p))
    summary["ledger"] = account_dict(ledger)
    return summary


def _boundary_figures(p: Plan, ledger: Ledger) -> dict[str, Any]:
    if "boundary" not in p.network.graph:
        return {}
    return {
        "boundary": p.network.graph["boundary"].label,
        # a raster's populated cells (and their people) read outside the boundary are among them
        "n_demand_outside_boundary": ledger.n("outside_boundary"),
        "population_outside_boundary": round(ledger.people("outside_boundary"), 1),
        "n_sites_outside_boundary": ledger.n_sites("outside_boundary"),
    }


def _area_figures(p: Plan) -> dict[str, Any]:
    if p.areas is None or p.area_table is None:
        return {}
    table = p.area_table
    out: dict[str, Any] = {"n_areas": len(p.areas)}
    inside = table[(table["area"] != OUTSIDE) & (table["population"] > 0)]
    if len(inside):
        worst = inside.sort_values(["covered_share", "population"], ascending=[True, False]).iloc[0]
        out["lowest_area"] = {
            "area": str(worst["area"]),
            "covered_share": float(worst["covered_share"]),
            "population": float(worst["population"]),
        }
    out["population_outside_areas"] = round(float(table.loc[table["area"] == OUTSIDE, "population"].sum()), 1)
    return out


def station_sheet(stations: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """
    The station table as ``stations.xlsx`` writes it: as :func:`station_table`, in Chinese under ``lang="zh"``.

    Parameters
    ----------
    stations
        :func:`station_table`'s rows (the geometry dropped or not).
    lang
        ``"en"`` (the table as is) or ``"zh"``: headers, tiers, statuses, OSM kinds and yes / no in Chinese
        (:mod:`planner.text.sheet`).

    Returns
    -------
    pandas.DataFrame
    """
    table = pd.DataFrame(stations.drop(columns="geometry", errors="ignore"))
    if lang != "zh":
        return table
    t = words(lang, "sheet")
    table = table.copy()
    for col in ("tier", "status", "kind"):
        if col in table:
            table[col] = [str(t[f"{col}_{v}"]) if f"{col}_{v}" in t else v for v in table[col]]
    if "existing" in table:
        table["existing"] = np.where(table["existing"].to_numpy(bool), str(t["yes"]), str(t["no"]))
    return table.rename(columns={col: str(t[f"column_{col}"]) for col in table.columns if f"column_{col}" in t})
