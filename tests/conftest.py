"""Shared fixtures: the embedded default (built once per session) and the shared
OSM extracts (skipped with a reason when absent). Seeded synthetic networks and
minute matrices are in ``instances.py``."""

from __future__ import annotations

import contextlib
import inspect
from pathlib import Path

import pytest

import planner

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"


#: the shared OSM extracts with buildings and places (porto_region_roads.osm.pbf holds roads only)
EXTRACTS = [
    "guixi_jiangxi.osm",
    "beijing_haidian_cau.osm",
    "beijing_haidian_zhongguancun.osm",
    "shenzhen_longgang.osm",
    "porto_centre.osm.pbf",
    "monaco.osm.pbf",
    "liechtenstein.osm.pbf",
]


def shared_file(name: str) -> Path:
    """Path of a shared OSM extract, or skip the test with the reason."""
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (the project's ../shared/data is absent on this machine)")
    return path


#: PuLP 3's deprecations, raised by spopt's model building and by ``PULP_CBC_CMD``: third-party noise in the tests
#: that check the planner against spopt
PULP_DEPRECATIONS = pytest.mark.filterwarnings(
    "ignore:Constructing LpVariable:DeprecationWarning",
    "ignore:PULP_CBC_CMD is deprecated:DeprecationWarning",
)

#: the planner's warnings about OSM homes and candidate places far from the streets, and the shared extracts that
#: get them (the others: none)
HOMES_OFF_STREETS = r"demand: .* farther than 250 m from the walking network; kept"
PLACES_OFF_STREETS = r"candidates: .* farther than 250 m from the walking network and were left out"
EXTRACT_WARNINGS = {
    "guixi_jiangxi.osm": HOMES_OFF_STREETS,
    "beijing_haidian_zhongguancun.osm": PLACES_OFF_STREETS,
    "liechtenstein.osm.pbf": HOMES_OFF_STREETS,
}


def warned_if(pattern: str | None):
    """``pytest.warns(UserWarning, match=pattern)``, or nothing expected when ``pattern`` is None."""
    return pytest.warns(UserWarning, match=pattern) if pattern else contextlib.nullcontext()


def load_extract(name: str):
    """A shared extract's network, OSM homes and OSM candidate places, the planner's warnings about them expected."""
    path = shared_file(name)
    with warned_if(EXTRACT_WARNINGS.get(name)):
        G = planner.load_network(str(path))
        return G, planner.load_demand(network=G), planner.load_candidates(network=G)


@pytest.fixture(scope="session")
def default_network():
    """``planner.load_network()``: the embedded default with default parameters, built once per session.

    Shared by every test that uses it, so read-only by convention: a test that
    changes the graph (nodes, edges or ``graph`` attributes) works on ``.copy()``.
    """
    return planner.load_network()


@pytest.fixture(scope="session")
def helsinki(default_network):
    """The embedded default network, demand and candidates (built once per session; read-only)."""
    demand = planner.load_demand(network=default_network)
    sites = planner.load_candidates(network=default_network)
    return default_network, demand, sites


def _is_default(value, default) -> bool:
    if value is default:
        return True
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # an array or a geometry is never a default
        return False


@pytest.fixture
def reuse_default_network(default_network, monkeypatch):
    """``planner.plan`` and the CLI get the session's ``default_network`` when they ask for the
    embedded default with default parameters, instead of building it again (other sources,
    speeds, boundaries: built as usual)."""
    import planner.runs.inputs as pipeline

    real = pipeline.load_network
    signature = inspect.signature(real)
    # reporting only, or used only with a boundary
    ignored = {"progress", "boundary_name", "margin_m"}

    def load_network(*args, **kwargs):
        given = signature.bind(*args, **kwargs).arguments
        if all(
            _is_default(value, signature.parameters[name].default)
            for name, value in given.items()
            if name not in ignored
        ):
            return default_network
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_network", load_network)


class FakeClock:
    """The clock of :class:`planner.optimize.milp.Deadline`, moved by the test instead of by the wall.

    Each reading moves it ``tick`` seconds. Setting HiGHS' ``time_limit`` records the seconds
    granted (beyond the run time HiGHS has already counted) in :attr:`grants`, as (clock
    reading, seconds), so that a test can check each grant against what is left of the call's
    one deadline; with ``run`` seconds, each HiGHS run is taken to spend that much of its grant
    (all of it when the grant is smaller), whatever the machine's speed.
    """

    def __init__(self, tick: float, run: float | None) -> None:
        self.tick = tick
        self.run = run
        self.now = 0.0
        self.start: float | None = None  # the first reading: when the call's deadline was set
        self.grants: list[tuple[float, float]] = []

    def perf_counter(self) -> float:
        self.now += self.tick
        if self.start is None:
            self.start = self.now
        return self.now

    def granted(self, seconds: float) -> None:
        self.grants.append((self.now, seconds))
        if self.run is not None:
            self.now += min(seconds, self.run)


@pytest.fixture
def fake_clock(monkeypatch):
    """``fake_clock(tick, run=None)`` installs a :class:`FakeClock` as the deadline's clock and returns it.

    HiGHS itself keeps its own (real) clock: it is still told the seconds left, so a run
    lasts at most what the fake clock grants it.
    """
    import highspy

    from planner.optimize import milp

    def install(tick: float = 1.0, run: float | None = None) -> FakeClock:
        clock = FakeClock(tick, run)

        class RecordingHighs(highspy.Highs):
            def setOptionValue(self, name, value):
                if name == "time_limit":
                    clock.granted(float(value) - float(self.getRunTime()))
                return super().setOptionValue(name, value)

        monkeypatch.setattr(milp, "time", clock)
        monkeypatch.setattr(highspy, "Highs", RecordingHighs)
        return clock

    return install


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium driven by Playwright, one per test module (skips with the reason when either is missing)."""
    from browser import chromium_browser

    with chromium_browser() as browser:
        yield browser
