"""The plan's account: every input resident and every input site in exactly one class, computed once.

Every output (the CLI's lines, ``summary.json``, the report, ``areas.csv``, the GIS layers, the map) renders
these figures and computes none of its own; the what-if page recomputes the same classes in the browser, by the
same definitions, for the station set the planner clicks.

Residents (homes) fall in one *coverage* class, in this order of precedence:

``covered``
    Within the walk of a chosen station (fully served, for the capacitated models).
``not_covered``
    A site the model could use is within the walk, but no chosen station is.
``only_unusable``
    Only sites the model cannot use are within the walk (a tiered plan's grid-only site with no possible
    community centre within the tier walk).
``no_candidate``
    No site at all within the walk: no plan can cover them.
``off_network``
    Farther than :attr:`planner.config.Defaults.max_snap_m` from every walkable street.
``outside_boundary``
    In the input, outside the planning boundary (for a population raster: the people of the cells read
    outside the boundary or the study area); left out of the plan.
``outside_window``
    A population raster's people beyond the window read around the study area (when the raster's total
    is known).

Under a tiered plan every home is also in one *centre* class: ``centre_within`` (a chosen community centre
within the tier walk), ``centre_beyond`` (a site that may be a centre is within it, none was chosen),
``no_possible_centre`` (no site that may be a centre within it) or ``off_network``.

Sites fall in one class: ``new`` and ``existing`` (chosen), ``not_chosen``, ``unusable`` (a tiered plan's
grid-only site no possible centre can serve), ``off_network``, ``outside_boundary`` (candidates only: an
existing station outside is kept) and ``duplicate`` (a candidate with an existing station's id, or a
repeated id in one file: the first is kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from planner.config import DEFAULTS
from planner.demand.areas import OUTSIDE, assign_areas
from planner.errors import DataError

__all__ = [
    "CENTRE_CLASSES",
    "HOME_CLASSES",
    "LEFT_OUT",
    "PLAN_HOME_CLASSES",
    "SITE_CLASSES",
    "UNCOVERABLE",
    "Ledger",
    "account",
]

#: the coverage classes of the residents, in order of precedence (see the module's docstring)
HOME_CLASSES = (
    "covered",
    "not_covered",
    "only_unusable",
    "no_candidate",
    "off_network",
    "outside_boundary",
    "outside_window",
)
#: the classes of the homes the plan holds (one per demand row)
PLAN_HOME_CLASSES = HOME_CLASSES[:5]
#: the centre classes of a tiered plan's homes
CENTRE_CLASSES = ("centre_within", "centre_beyond", "no_possible_centre", "off_network")
#: the classes of the sites
SITE_CLASSES = ("new", "existing", "not_chosen", "unusable", "off_network", "outside_boundary", "duplicate")
#: coverage classes counted as "left out": no chosen station within the walk
LEFT_OUT = ("not_covered", "only_unusable", "no_candidate", "off_network")
#: coverage classes of the homes no plan can cover (beyond every candidate the model can use, or off the streets)
UNCOVERABLE = ("only_unusable", "no_candidate", "off_network")


@dataclass(frozen=True)
class Ledger:
    """
    The account of a plan: every input resident and site in one class.

    Attributes
    ----------
    minutes
        The plan's walk.
    home_class
        Per home of the plan (demand row), its coverage class (one of :data:`PLAN_HOME_CLASSES`).
    population
        Per home of the plan, its residents.
    homes
        Per coverage class (:data:`HOME_CLASSES`, index), ``n`` (homes; populated raster cells for the raster
        classes; ``None`` when unknown) and ``population``.
    site_class
        Per site of the plan, its class.
    sites
        Per site class (:data:`SITE_CLASSES`, index), ``n``.
    before
        Per home of the plan, whether an existing station alone is within the walk (the plan's "before").
    tier_minutes, centre_class, centres
        A tiered plan's tier walk, each home's centre class and the per-class ``n`` / ``population``;
        else ``None``.
    areas
        With areas: per area (in the areas' order, :data:`planner.demand.areas.OUTSIDE` last when homes fall outside
        every area) ``area``, ``n_homes``, ``population`` (residents in the plan), a ``population_<class>`` column
        per coverage class, ``covered_share`` (covered / population; NaN when no resident of the area is in the
        plan), ``share_inside`` (the share of the area's residents inside the planning boundary, 1.0 without
        one) and ``where`` (``inside``, ``partly outside``, ``outside`` the boundary); else ``None``.
    area_row
        With areas: per home of the plan, its row in :attr:`areas`; else ``None``.
    raster_total
        A population raster's own total (every cell of the band), when known.
    population_served
        The residents the chosen stations serve: the ``covered`` class, except under a capacity split
        between stations, where a home served in part is ``not_covered`` and its served part counts here.
    from_raster
        Whether the residents come from a population raster (its cells outside the study area are counted).
    """

    minutes: float
    home_class: np.ndarray
    population: np.ndarray
    homes: pd.DataFrame
    site_class: np.ndarray
    sites: pd.DataFrame
    before: np.ndarray
    tier_minutes: float | None = None
    centre_class: np.ndarray | None = None
    centres: pd.DataFrame | None = None
    areas: pd.DataFrame | None = None
    area_row: np.ndarray | None = None
    raster_total: float | None = None
    population_served: float | None = None
    from_raster: bool = False

    @property
    def population_before(self) -> float:
        """Residents the existing stations alone put within the walk (0 without existing stations)."""
        return float(self.population[self.before].sum())

    @property
    def served(self) -> float:
        """:attr:`population_served`, or the ``covered`` class's residents."""
        return self.people("covered") if self.population_served is None else float(self.population_served)

    def n(self, cls: str) -> int:
        """Homes in coverage class ``cls`` (populated cells for a raster's outside classes; 0 when unknown)."""
        value = self.homes.at[cls, "n"]
        return 0 if value is None or pd.isna(value) else int(value)

    def n_sites(self, cls: str) -> int:
        """Sites in site class ``cls``."""
        return int(self.sites.at[cls, "n"])

    def n_centre(self, cls: str) -> int:
        """Homes of a tiered plan in centre class ``cls`` (0 without tiers)."""
        return 0 if self.centres is None else int(self.centres.at[cls, "n"])

    def people_centre(self, cls: str) -> float:
        """Residents of a tiered plan in centre class ``cls`` (0 without tiers)."""
        return 0.0 if self.centres is None else float(self.centres.at[cls, "population"])

    def people(self, *classes: str) -> float:
        """Residents in the coverage classes given (unrounded)."""
        return float(sum(float(self.homes.at[c, "population"]) for c in classes))

    @property
    def population_input(self) -> float:
        """Every resident of the input: the sum over the coverage classes."""
        return float(self.homes["population"].sum())

    @property
    def population_plan(self) -> float:
        """The residents the plan holds (every class but the two outside ones)."""
        return self.people(*PLAN_HOME_CLASSES)

    @property
    def n_sites_input(self) -> int:
        """Every site of the input: the sum over the site classes."""
        return int(self.sites["n"].sum())

    def restated(
        self, covered: np.ndarray, selected: np.ndarray, existing: np.ndarray, population_served: float | None = None
    ) -> Ledger:
        """
        The same account for another set of chosen stations over the same homes and sites (not a tiered plan's).

        Only what the stations decide changes: the homes ``covered`` / ``not_covered``, the sites ``new`` /
        ``existing`` / ``not_chosen`` and the areas' covered figures; what lies outside, off the streets or beyond
        every site stays as counted.

        Parameters
        ----------
        covered
            Per home of the plan, whether it is covered.
        selected
            The chosen sites' columns.
        existing
            Per site of the plan, whether it is an existing station.
        population_served
            The served residents where they differ from the covered homes' (a capacity split).

        Returns
        -------
        Ledger
        """
        if self.centres is not None:
            raise ValueError("a tiered plan's account needs its walk to the centres: made by planner.plan only")
        covered = np.asarray(covered, bool)
        movable = np.isin(self.home_class, ("covered", "not_covered"))
        if (covered & ~movable).any():
            raise ValueError("covered: a home no usable site reaches cannot be covered")
        home_class = np.where(movable, np.where(covered, "covered", "not_covered"), self.home_class).astype(object)
        homes = self.homes.copy()
        for cls in ("covered", "not_covered"):
            hit = home_class == cls
            homes.at[cls, "n"] = int(hit.sum())
            homes.at[cls, "population"] = float(self.population[hit].sum())
        site_class = _site_classes(existing, selected, self.site_class == "unusable")
        sites = self.sites.copy()
        for cls in SITE_CLASSES[:4]:
            sites.loc[cls, "n"] = int((site_class == cls).sum())
        areas = self.areas
        if areas is not None and self.area_row is not None:
            areas = areas.copy()
            for cls in ("covered", "not_covered"):
                weight = self.population * (home_class == cls)
                areas[f"population_{cls}"] = np.bincount(self.area_row, weights=weight, minlength=len(areas))
            covered_people = areas["population_covered"].to_numpy(float)
            areas["covered_share"] = _covered_share(covered_people, areas["population"].to_numpy(float))
        ledger = replace(
            self,
            home_class=home_class,
            homes=homes,
            site_class=site_class,
            sites=sites,
            areas=areas,
            population_served=population_served,
        )
        ledger.check()
        return ledger

    def check(self) -> None:
        """Raise ``AssertionError`` unless every class count adds up to its input (run on every plan)."""
        for cls in PLAN_HOME_CLASSES:
            hit = self.home_class == cls
            assert int(self.homes.at[cls, "n"]) == int(hit.sum()), cls
            assert np.isclose(float(self.homes.at[cls, "population"]), float(self.population[hit].sum())), cls
        assert np.isin(self.home_class, PLAN_HOME_CLASSES).all()
        assert np.isin(self.site_class, SITE_CLASSES[:4]).all()
        if self.centre_class is not None and self.centres is not None:
            assert np.isclose(float(self.centres["population"].sum()), self.population_plan)
        if self.areas is not None:
            assert np.isclose(float(self.areas["population"].sum()), self.population_plan)


def account(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    within: sp.csr_matrix,
    covered: np.ndarray,
    uncoverable: np.ndarray,
    selected: np.ndarray,
    *,
    minutes: float,
    unusable: np.ndarray | None = None,
    tier_minutes: float | None = None,
    centre_within: sp.csr_matrix | None = None,
    tier_of: np.ndarray | None = None,
    areas: gpd.GeoDataFrame | None = None,
    boundary: shapely.Geometry | None = None,
    max_snap_m: float = DEFAULTS.max_snap_m,
    population_served: float | None = None,
) -> Ledger:
    """
    The account of a plan, from its stage outputs (see the module's docstring for the classes).

    Parameters
    ----------
    demand, sites
        The plan's homes and sites, with what their loaders left out in ``attrs``
        (``outside_boundary``, ``off_network``, ``duplicates``, ``raster``).
    within
        Boolean CSR homes x sites: pairs within the plan's walk.
    covered, uncoverable, selected
        The solution's covered homes, the rows no usable site reaches and the chosen sites' columns.
    minutes
        The walk.
    unusable
        Per site, whether the model could not use it (a tiered plan's), else ``None``.
    tier_minutes, centre_within, tier_of
        A tiered plan's tier walk, the boolean CSR homes x sites within it and each site's tier
        (``centre`` / ``grid``, meaningful for the chosen ones); ``None`` otherwise.
    areas, boundary
        The areas (with ``area``) the homes' ``area`` column names, and the planning boundary (WGS-84).
    max_snap_m
        The snapping distance: homes farther from every street are off the network.
    population_served
        The model's served residents when it differs from the ``covered`` class (a capacity split).

    Returns
    -------
    Ledger
    """
    n_homes = len(demand)
    pop = demand["population"].to_numpy(float) if n_homes else np.zeros(0)
    covered = np.asarray(covered, bool)
    off = demand["street_m"].to_numpy(float) > max_snap_m if "street_m" in demand else np.zeros(n_homes, bool)
    beyond = np.zeros(n_homes, bool)
    beyond[np.asarray(uncoverable, np.int64)] = True
    reached = np.diff(sp.csr_matrix(within).indptr) > 0  # some site, usable or not, within the walk
    home_class = np.select(
        [covered, off, ~beyond, reached],
        ["covered", "off_network", "not_covered", "only_unusable"],
        default="no_candidate",
    ).astype(object)
    raster = demand.attrs.get("raster") or {}
    site_class = _site_classes(sites["existing"].to_numpy(bool), selected, unusable)
    centre_class = centres = None
    if tier_minutes is not None and centre_within is not None and tier_of is not None:
        centre_class, centres = _centres(sites, centre_within, selected, tier_of, off, pop)
    area_frame = area_row = None
    if areas is not None and "area" in demand:
        area_frame, area_row = _areas(demand, home_class, pop, areas, boundary)
    ledger = Ledger(
        minutes=float(minutes),
        home_class=home_class,
        population=pop,
        homes=_home_table(home_class, pop, demand.attrs),
        site_class=site_class,
        sites=_site_table(site_class, sites.attrs),
        tier_minutes=None if tier_minutes is None else float(tier_minutes),
        centre_class=centre_class,
        centres=centres,
        areas=area_frame,
        area_row=area_row,
        raster_total=raster.get("population_raster"),
        population_served=population_served,
        before=_before(within, sites),
        from_raster=bool(raster),
    )
    ledger.check()
    return ledger


def _before(within: sp.csr_matrix, sites: gpd.GeoDataFrame) -> np.ndarray:
    """Per home, whether an existing station alone is within the walk."""
    columns = np.flatnonzero(sites["existing"].to_numpy(bool)) if len(sites) else np.zeros(0, np.int64)
    if not len(columns):
        return np.zeros(within.shape[0], bool)
    return np.diff(sp.csr_matrix(within[:, columns]).indptr) > 0


def _home_table(home_class: np.ndarray, pop: np.ndarray, attrs: Mapping[str, Any]) -> pd.DataFrame:
    n = {c: int((home_class == c).sum()) for c in PLAN_HOME_CLASSES}
    people = {c: float(pop[home_class == c].sum()) for c in PLAN_HOME_CLASSES}
    outside = attrs.get("outside_boundary") or {}
    n["outside_boundary"] = int(outside.get("n", 0))
    people["outside_boundary"] = float(outside.get("population", 0.0))
    raster = attrs.get("raster") or {}
    window_n: int | None = 0
    window_people = 0.0
    if raster:
        # the raster's cells read around the study area but outside it (or outside the boundary)
        n["outside_boundary"] += int(raster.get("cells_outside", 0))
        people["outside_boundary"] += float(raster.get("population_outside", 0.0))
        if raster.get("population_raster") is not None:
            window_people = max(float(raster["population_raster"]) - float(raster.get("population_window", 0.0)), 0.0)
            window_n = None
    n_col: list[int | None] = [*n.values(), window_n]
    return pd.DataFrame(
        {"n": pd.array(n_col, dtype="Int64"), "population": [*people.values(), window_people]},
        index=pd.Index(HOME_CLASSES, name="class"),
    )


def _site_classes(existing: np.ndarray, selected: np.ndarray, unusable: np.ndarray | None) -> np.ndarray:
    n = len(existing)
    existing = np.asarray(existing, bool)
    chosen = np.zeros(n, bool)
    chosen[np.asarray(selected, np.int64)] = True
    bad = np.zeros(n, bool) if unusable is None else np.asarray(unusable, bool)
    cls = np.select([chosen & existing, chosen, bad], ["existing", "new", "unusable"], default="not_chosen")
    return cls.astype(object)


def _covered_share(covered: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Per area, its covered residents over its residents in the plan (NaN for an area with none)."""
    return np.divide(covered, population, out=np.full(len(population), np.nan), where=population > 0)


def _site_table(site_class: np.ndarray, attrs: Mapping[str, Any]) -> pd.DataFrame:
    n = {c: int((site_class == c).sum()) for c in SITE_CLASSES[:4]}
    n["off_network"] = len(attrs.get("off_network") or [])
    n["outside_boundary"] = int((attrs.get("outside_boundary") or {}).get("n", 0))
    n["duplicate"] = len(attrs.get("duplicates") or [])
    return pd.DataFrame({"n": list(n.values())}, index=pd.Index(SITE_CLASSES, name="class"))


def _centres(
    sites: gpd.GeoDataFrame,
    centre_within: sp.csr_matrix,
    selected: np.ndarray,
    tier_of: np.ndarray,
    off: np.ndarray,
    pop: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Per home: a chosen centre within the tier walk, a possible one only, none possible, or off the streets."""
    m = sp.csr_matrix(centre_within)
    chosen = np.zeros(len(sites), bool)
    chosen[np.asarray(selected, np.int64)] = True
    is_centre = chosen & (np.asarray(tier_of).astype(str) == "centre")
    tier = sites["tier"].astype(str).to_numpy() if "tier" in sites else np.full(len(sites), "any")
    may_centre = np.isin(tier, ("centre", "any")) | is_centre
    has_centre = np.asarray(m @ is_centre.astype(float)).ravel() > 0
    may = np.asarray(m @ may_centre.astype(float)).ravel() > 0
    cls = np.select(
        [off, has_centre, may], ["off_network", "centre_within", "centre_beyond"], default="no_possible_centre"
    ).astype(object)
    frame = pd.DataFrame(
        {
            "n": pd.array([int((cls == c).sum()) for c in CENTRE_CLASSES], dtype="Int64"),
            "population": [float(pop[cls == c].sum()) for c in CENTRE_CLASSES],
        },
        index=pd.Index(CENTRE_CLASSES, name="class"),
    )
    return cls, frame


def _areas(
    demand: gpd.GeoDataFrame,
    home_class: np.ndarray,
    pop: np.ndarray,
    areas: gpd.GeoDataFrame,
    boundary: shapely.Geometry | None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per area, the residents by class and where the boundary cuts it; and per home, its area's row."""
    names = list(areas["area"].astype(str))
    home_area = demand["area"].astype(str).to_numpy()
    if (home_area == OUTSIDE).any():
        names.append(OUTSIDE)
    position = {name: i for i, name in enumerate(names)}
    k = np.array([position.get(a, -1) for a in home_area], dtype=np.int64)
    if (k < 0).any():
        raise DataError(f"homes name areas that are not in the areas layer: {sorted(set(home_area[k < 0]))[:3]}")
    m = len(names)
    cols: dict[str, Any] = {
        "area": names,
        "n_homes": np.bincount(k, minlength=m),
        "population": np.bincount(k, weights=pop, minlength=m),
    }
    for cls in PLAN_HOME_CLASSES:
        cols[f"population_{cls}"] = np.bincount(k, weights=pop * (home_class == cls), minlength=m)
    outside_pop = np.zeros(m)
    records = (demand.attrs.get("outside_boundary") or {}).get("records")
    if boundary is not None and records is not None and len(records):
        rec = pd.DataFrame(records)
        pts = gpd.GeoDataFrame(
            geometry=shapely.points(rec["lon"].to_numpy(float), rec["lat"].to_numpy(float)), crs="EPSG:4326"
        )
        out_area = assign_areas(pts, areas)
        if "area" in rec:  # homes spread from an area keep it (one on a shared edge is not given to the neighbour)
            known = rec["area"].notna().to_numpy()
            out_area = np.where(known, rec["area"].astype(object).to_numpy(), out_area)
        where = np.array([position.get(a, -1) for a in out_area.astype(str)], dtype=np.int64)
        ok = where >= 0
        w = rec["population"].to_numpy(float) if "population" in rec else np.zeros(len(rec))
        outside_pop = np.bincount(where[ok], weights=w[ok], minlength=m).astype(float)
    cols["population_outside_boundary"] = outside_pop
    population = cols["population"]
    whole = population + outside_pop
    cols["covered_share"] = _covered_share(cols["population_covered"], population)
    cols["share_inside"] = np.divide(population, whole, out=np.ones(m), where=whole > 0)
    if boundary is not None and len(areas):
        # an area with no home in the input at all: its shape tells where it lies
        polys = areas.to_crs("EPSG:4326").geometry.values
        frac = np.divide(
            shapely.area(shapely.intersection(polys, boundary)),
            shapely.area(polys),
            out=np.ones(len(polys)),
            where=shapely.area(polys) > 0,
        )
        empty = whole[: len(polys)] <= 0
        cols["share_inside"][: len(polys)][empty] = frac[empty]
    share_inside = cols["share_inside"]
    cols["where"] = np.where(
        share_inside >= 1.0 - 1e-9, "inside", np.where(share_inside <= 1e-9, "outside", "partly outside")
    )
    if names and names[-1] == OUTSIDE:
        cols["where"][-1] = "inside"
    return pd.DataFrame(cols), k
