"""Robustness: interrupted runs, repeatable outputs, hostile names in the map, and
properties of coverage and the optimisers on random networks."""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from browser import block_network, chromium_browser
from hypothesis import given, settings
from hypothesis import strategies as st
from instances import random_points, synthetic_network

import planner
import planner.outputs.files
import planner.runs.pipeline
from planner.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
PLAN_FILES = ("isochrones.geojson", "plan.gpkg", "plan.html", "report.html", "stations.csv", "stations.geojson",
              "stations.xlsx", "summary.json", "unreachable.csv")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One ordinary ``planner plan`` run on the embedded default."""
    out = tmp_path_factory.mktemp("baseline")
    assert main(["plan", "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(PLAN_FILES)
    return out


# ----------------------------------------------------------------- interruption


def test_sigint_before_solving_keeps_previous_outputs(baseline, tmp_path, monkeypatch, capsys):
    out = tmp_path / "maps"
    shutil.copytree(baseline, out)  # the outputs of an earlier `planner plan --out maps -q`
    before = _snapshot(out)

    real_solve = planner.runs.pipeline.solve
    reached = []

    def interrupted_solve(*args, **kwargs):
        reached.append(True)
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C
        time.sleep(5)
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(planner.runs.pipeline, "solve", interrupted_solve)
    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    try:
        code = main(["plan", "--out", str(out), "-q"])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped planner.cli.main (a user would see a traceback)")
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err

    assert reached, "the run never reached the solver"
    assert elapsed < 30, "the interrupt did not stop the run"
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err
    after = _snapshot(out)
    assert sorted(after) == sorted(before), f"files changed: {sorted(set(after) ^ set(before))}"
    for name in before:
        assert after[name] == before[name], f"{name} changed although the run was interrupted"
    assert not [n for n in after if n.startswith(".")], "temporary files left behind"


class _FailingText(str):
    """Text whose encoding fails, like a write that hits Ctrl-C or a full disk."""

    def __new__(cls, text, exc):
        obj = super().__new__(cls, text)
        obj.exc = exc
        return obj

    def encode(self, *args, **kwargs):  # noqa: ARG002
        raise self.exc


def test_write_interrupted_mid_file_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "maps"
    planner.outputs.files.write_outputs(out, {"a.json": "old a\n", "b.json": "old b\n"})
    before = _snapshot(out)
    with pytest.raises(KeyboardInterrupt):
        planner.outputs.files.write_outputs(out, {"a.json": "new a\n", "b.json": _FailingText("new b\n", KeyboardInterrupt())})
    after = _snapshot(out)
    assert after == before
    assert not [n for n in after if n.startswith(".")], f"temporary files left behind: {sorted(after)}"


def test_full_disk_is_one_error_line_and_no_temporary_file(tmp_path, monkeypatch, capsys):
    cm = tmp_path / "cm.csv"
    cm.write_text("demand_id,site_id,minutes\nh1,s1,3\nh2,s1,4\n")
    out = tmp_path / "out"
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real_json_text = planner.outputs.files.json_text
    monkeypatch.setattr(planner.outputs.files, "json_text", lambda obj: _FailingText(real_json_text(obj), full))
    try:
        code = main(["optimize", "--cost-matrix", str(cm), "--radius", "5", "--out", str(out), "-q"])
    except OSError as exc:
        pytest.fail(f"OSError escaped planner.cli.main (a user would see a traceback): {exc}")
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "No space left" in lines[0], lines
    assert code in (1, 2)
    assert not out.exists() or not list(out.iterdir()), sorted(p.name for p in out.iterdir())


# ----------------------------------------------------------------- determinism


def test_plan_is_repeatable(baseline, tmp_path):
    again = tmp_path / "again"
    assert main(["plan", "--out", str(again), "-q"]) == 0
    for name in ("stations.geojson", "isochrones.geojson", "unreachable.csv", "report.html"):
        assert (again / name).read_bytes() == (baseline / name).read_bytes(), f"{name} differs between two runs"
    first = json.loads((baseline / "summary.json").read_text(encoding="utf-8"))
    second = json.loads((again / "summary.json").read_text(encoding="utf-8"))
    first.pop("seconds")
    second.pop("seconds")
    assert first == second


def test_score_csv_is_repeatable(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["score", "--csv", str(a), "-q"]) == 0
    assert main(["score", "--csv", str(b), "-q"]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_bytes().splitlines()) > 2


# ----------------------------------------------------------------- hostile names

HOSTILE = [
    "<script>document.title='pwned'</script>",
    "\"quotes\" & 'apostrophes'",
    "<img src=x onerror=alert(1)>",
    "\u202eevil",
    # folium puts popup and tooltip HTML inside JavaScript template literals: `${...}` runs there
    "${document.title=/pwned/.source}",
]
# names that end a template literal early or hold invalid escapes: each one alone breaks the
# map's whole script, so they get a page of their own (drawn with planner.plan_map)
TEMPLATE_BREAKERS = ["tick`tock", "C:\\users\\map"]



@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with open(DATA / "sample_candidates.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[: len(HOSTILE)]
    candidates = folder / "candidates.csv"
    with open(candidates, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["lon", "lat", "name"])
        for row, name in zip(rows, HOSTILE):
            writer.writerow([row["lon"], row["lat"], name])
    out = folder / "out"
    code = main(["plan", "--candidates", str(candidates), "--model", "mclp", "--p", str(len(HOSTILE)),
                 "--offline", "--out", str(out), "-q"])
    return code, out


@pytest.fixture(scope="module")
def breakers_page(tmp_path_factory):
    """A small map (no pipeline) whose station names contain a backtick and backslashes."""
    import geopandas as gpd
    import shapely

    from planner.outputs.maps.draw import MapContent, draw_map

    n = len(TEMPLATE_BREAKERS)
    stations = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(n)], "name": TEMPLATE_BREAKERS, "population_covered": [10.0] * n},
        geometry=[shapely.Point(24.94 + 0.002 * i, 60.17) for i in range(n)], crs="EPSG:4326")
    iso = gpd.GeoDataFrame({"site_id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    demand = gpd.GeoDataFrame({"demand_id": ["h0"], "population": [5.0]}, geometry=[shapely.Point(24.941, 60.171)],
                              crs="EPSG:4326")
    html = draw_map(MapContent(stations, iso, demand, np.array([True])), offline=True).get_root().render()
    path = tmp_path_factory.mktemp("breakers") / "map.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_hostile_names_survive_the_plan(hostile_run):
    code, out = hostile_run
    assert code == 0
    stations = json.loads((out / "stations.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["name"] for f in stations["features"]) == sorted(HOSTILE)


def test_hostile_names_are_escaped_in_the_html(hostile_run):
    _, out = hostile_run
    page = (out / "plan.html").read_text(encoding="utf-8")
    assert "<script>document.title" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;document.title" in page and "&lt;img src=x" in page
    # inside a JavaScript template literal `${...}` is evaluated
    assert "${document.title" not in page, "a station name reaches a JS template literal unescaped"


def test_template_breaking_names_are_escaped_in_the_html(breakers_page):
    page = breakers_page.read_text(encoding="utf-8")
    assert "tick`tock" not in page, "a backtick in a name reaches a JS template literal unescaped"
    assert "C:\\users" not in page, "a backslash in a name reaches a JS template literal unescaped"


# The pages are the real offline maps (Leaflet inlined from its package): open every
# marker's popup and tooltip and read their text as the browser shows it.
OPEN_POPUPS = r"""
() => {
  const maps = Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map).map(k => window[k]);
  const popups = [], tooltips = [];
  for (const m of maps) m.eachLayer(layer => {
    if (!(layer instanceof L.Marker)) return;
    if (layer.getPopup && layer.getPopup()) {
      layer.openPopup();
      const el = layer.getPopup().getElement();
      popups.push(el ? el.textContent : '');
      layer.closePopup();
    }
    if (layer.getTooltip && layer.getTooltip()) {
      layer.openTooltip();
      const el = layer.getTooltip().getElement();
      tooltips.push(el ? el.textContent : '');
    }
  });
  return {mode: 'leaflet (offline page)', title: document.title, tooltips, popups, maps: maps.length,
          markers: document.querySelectorAll('.planner-station').length};
}
"""


def _render(browser, path: Path) -> dict:
    context = browser.new_context()
    context.set_offline(True)
    page = context.new_page()
    dialogs, page_errors, console_errors = [], [], []
    page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    blocked = block_network(page)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # let onerror handlers of broken images fire
    title_on_load = page.title()
    has_leaflet = page.evaluate("() => typeof window.L !== 'undefined' && !!window.L.Map")
    result = page.evaluate(OPEN_POPUPS) if has_leaflet else {"mode": "no Leaflet", "tooltips": [], "popups": [],
                                                                 "title": page.title(), "maps": 0, "markers": 0}
    page.wait_for_timeout(300)
    result.update(title_on_load=title_on_load, title_after=page.title(), dialogs=dialogs,
                  page_errors=page_errors, console_errors=console_errors, blocked=blocked, leaflet=has_leaflet)
    context.close()
    return result


@pytest.fixture(scope="module")
def rendered(hostile_run, breakers_page):
    """plan.html (and the breakers' map) in headless Chromium, all network blocked except file://."""
    code, out = hostile_run
    assert code == 0
    with chromium_browser() as browser:
        return {"plan": _render(browser, out / "plan.html"), "breakers": _render(browser, breakers_page)}


def test_rendered_page_runs_no_injected_code(rendered):
    r = rendered["plan"]
    assert r["dialogs"] == [], f"dialogs fired: {r['dialogs']}"
    assert r["title_on_load"] != "pwned"
    assert r["title"] != "pwned" and r["title_after"] != "pwned", (
        f"a station name ran as JavaScript and set document.title ({r['mode']})")


def test_rendered_tooltips_show_names_as_text(rendered):
    r = rendered["plan"]
    texts = [" ".join(t.split()) for t in r["tooltips"]]
    for name in HOSTILE:
        assert any(name in t for t in texts), f"{name!r} not shown literally in any tooltip ({r['mode']}): {texts[:8]}"


def test_rendered_popups_show_names_as_text(rendered):
    r = rendered["plan"]
    popups = r["popups"]
    assert len(popups) >= len(HOSTILE)
    for name in HOSTILE:
        assert any(name in t for t in popups), f"{name!r} not shown literally in any popup ({r['mode']}): {popups[:3]}"
    # the popup's markup is markup, not text shown to the user
    assert not [t for t in popups if "<b>" in t or "&lt;" in t], f"popups show raw HTML: {popups[:2]}"


@pytest.mark.parametrize("which", ["plan", "breakers"])
def test_rendered_page_script_is_valid(rendered, which):
    r = rendered[which]
    # the offline page runs whole with the network off: Leaflet inlined, nothing requested, no error
    assert r["leaflet"] and r["maps"] == 1, r["mode"]
    assert r["markers"] == (len(HOSTILE) if which == "plan" else len(TEMPLATE_BREAKERS))
    assert r["blocked"] == [], f"the offline page asked the network for {r['blocked']}"
    assert r["page_errors"] == [] and r["console_errors"] == [], (r["page_errors"], r["console_errors"])


def test_rendered_breakers_show_names_as_text(rendered):
    r = rendered["breakers"]
    texts = [" ".join(t.split()) for t in r["tooltips"] + r["popups"]]
    for name in TEMPLATE_BREAKERS:
        assert any(name in t for t in texts), f"{name!r} not shown literally ({r['mode']}): {texts[:4]}"


# ----------------------------------------------------------------- properties on synthetic networks

PROPS = settings(max_examples=20, deadline=None, derandomize=True)


def _setup(seed: int, n_homes: int = 30, n_sites: int = 10):
    G = synthetic_network(seed)
    return G, random_points(G, n_homes, seed + 1, "h"), random_points(G, n_sites, seed + 2, "s")


def _pairs(cov) -> dict[tuple[int, int], float]:
    m = cov.minutes.tocoo()
    return {(int(i), int(j)): float(v) for i, j, v in zip(m.row, m.col, m.data)}


@PROPS
@given(seed=st.integers(0, 10_000), m1=st.floats(0.5, 10.0), extra=st.floats(0.1, 10.0))
def test_coverage_is_monotone_in_minutes(seed, m1, extra):
    G, homes, sites = _setup(seed)
    m2 = m1 + extra
    short = _pairs(planner.coverage(G, homes, sites, minutes=m1))
    long = _pairs(planner.coverage(G, homes, sites, minutes=m2))
    assert set(short) <= set(long)
    for pair, minutes in short.items():
        assert minutes <= m1 + 1e-9
        assert long[pair] == pytest.approx(minutes, abs=1e-9)
    # and nothing the longer search found within m1 was missed by the shorter one
    assert {p for p, v in long.items() if v < m1 - 1e-9} <= set(short)


@PROPS
@given(seed=st.integers(0, 10_000), minutes=st.floats(1.0, 12.0))
def test_lscp_covers_every_coverable_home(seed, minutes):
    G, homes, sites = _setup(seed)
    cov = planner.coverage(G, homes, sites, minutes=minutes)
    sol = planner.solve(cov, model="lscp")
    coverable = cov.coverable()
    reached = np.asarray(cov.within()[:, sol.selected].sum(axis=1)).ravel() > 0
    assert (reached == coverable).all()
    assert (sol.covered == coverable).all()
    assert sol.population_covered == pytest.approx(sol.population_coverable)
    assert sol.population_coverable == pytest.approx(cov.population[coverable].sum())


@PROPS
@given(seed=st.integers(0, 10_000), minutes=st.floats(1.0, 12.0))
def test_mclp_optimum_never_falls_as_p_grows(seed, minutes):
    G, homes, sites = _setup(seed)
    cov = planner.coverage(G, homes, sites, minutes=minutes)
    best = [planner.solve(cov, model="mclp", p=p).objective for p in range(1, len(sites) + 1)]
    assert all(b >= a - 1e-6 for a, b in zip(best, best[1:])), best
    assert best[-1] == pytest.approx(cov.population[cov.coverable()].sum())


@PROPS
@given(seed=st.integers(0, 10_000), minutes=st.floats(1.0, 12.0), p=st.integers(1, 5), shuffle=st.integers(0, 2**32 - 1))
def test_optima_do_not_depend_on_row_order(seed, minutes, p, shuffle):
    G, homes, sites = _setup(seed)
    rng = np.random.default_rng(shuffle)
    homes2 = homes.iloc[rng.permutation(len(homes))].reset_index(drop=True)
    sites2 = sites.iloc[rng.permutation(len(sites))].reset_index(drop=True)
    cov = planner.coverage(G, homes, sites, minutes=minutes)
    cov2 = planner.coverage(G, homes2, sites2, minutes=minutes)
    lscp, lscp2 = planner.solve(cov, model="lscp"), planner.solve(cov2, model="lscp")
    assert lscp.n_stations == lscp2.n_stations
    mclp, mclp2 = planner.solve(cov, model="mclp", p=p), planner.solve(cov2, model="mclp", p=p)
    assert mclp.objective == pytest.approx(mclp2.objective, abs=1e-6)
    # the same pairs, relabelled
    by_id = {(cov.demand_ids[i], cov.site_ids[j]): v for (i, j), v in _pairs(cov).items()}
    by_id2 = {(cov2.demand_ids[i], cov2.site_ids[j]): v for (i, j), v in _pairs(cov2).items()}
    assert by_id.keys() == by_id2.keys()
    assert all(by_id[k] == pytest.approx(by_id2[k], abs=1e-9) for k in by_id)
