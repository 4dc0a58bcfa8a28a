"""The what-if map (issue 16): planner.evaluate against brute force and the plan's own figures, the page's data
decoded in Python, and the page in headless Chromium (network off) driven by real mouse clicks."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from browser import BROWSER_ARGS, block_network, watch_scripts
from instances import random_minutes, random_points, synthetic_network, to_csr

import planner
from planner.demand.areas import OUTSIDE
from planner.errors import InputError
from planner.outputs.maps.style import AREA_STEPS
from planner.outputs.maps.whatif import AREA_TOLERANCE_M, WhatIf, whatif_inputs, whatif_payload
from planner.reach.matrix import Coverage

EVIL = "<img src=x onerror=alert(1)>`${x}`"
NAMES = {"s0001": EVIL, "s0003": 'Hall "A", east', "s0004": "社区服务站"}


# ----------------------------------------------------------------- planner.evaluate


def brute_force(cost: np.ndarray, weights: np.ndarray, columns: list[int], limit: float = 5.0):
    """Covered residents and residents per station, one home at a time (nearest; ties: the lowest column)."""
    covered, assigned = 0.0, dict.fromkeys(columns, 0.0)
    for h in range(cost.shape[0]):
        best, where = np.inf, None
        for c in sorted(columns):
            if cost[h, c] <= limit and cost[h, c] < best:
                best, where = cost[h, c], c
        if where is not None:
            covered += weights[h]
            assigned[where] += weights[h]
    return covered, assigned


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_evaluate_matches_a_brute_force_with_ties_and_zeros(seed):
    cost, weights = random_minutes(seed, 60, 12)  # integer minutes 0..10: ties, zeros and exactly 5 are common
    cov = Coverage(to_csr(cost), (10.0,), np.arange(60).astype(str), np.array([f"s{i}" for i in range(12)]), weights)
    rng = np.random.default_rng(seed)
    for _ in range(8):
        columns = sorted(rng.choice(12, size=rng.integers(0, 6), replace=False).tolist())
        ev = planner.evaluate(cov, [f"s{c}" for c in columns], minutes=5)
        covered, assigned = brute_force(cost, weights, columns)
        assert ev.stations == [f"s{c}" for c in columns]
        assert ev.population_covered == pytest.approx(covered, rel=1e-12)
        assert ev.covered_share == pytest.approx(covered / weights.sum(), rel=1e-12)
        assert ev.assigned == pytest.approx({f"s{c}": v for c, v in assigned.items()}, rel=1e-12)
        assert sum(ev.assigned.values()) == pytest.approx(ev.population_covered)
    assert planner.evaluate(cov, [], minutes=5).as_dict() == {
        "stations": [],
        "population_covered": 0.0,
        "covered_share": 0.0,
        "assigned": {},
    }


def test_evaluate_names_what_it_cannot_use():
    cost, weights = random_minutes(4, 5, 3)
    cov = Coverage(to_csr(cost), (5.0,), np.arange(5).astype(str), np.array(["a", "b", "c"]), weights)
    with pytest.raises(InputError, match=r"site_id 'zz' is not a site of the coverage \(expected one of its 3"):
        planner.evaluate(cov, ["a", "zz"])
    with pytest.raises(InputError, match="computed up to 5 minutes only"):
        planner.evaluate(cov, ["a"], minutes=6)


# ----------------------------------------------------------------- a small real plan (synthetic streets)


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    """planner.plan on a seeded street network with demand, candidate and existing-station files."""
    folder = tmp_path_factory.mktemp("whatif_inputs")
    G = synthetic_network(5, 25)
    homes = random_points(G, 150, 1, "h")
    sites = random_points(G, 18, 2, "s").drop(columns="population")
    sites["name"] = [NAMES.get(s, f"Site {s}") for s in sites["site_id"]]
    existing = sites.iloc[-2:].assign(site_id=["e01", "e02"], name=["Old hall", "旧站"])
    for frame, name in ((homes, "homes"), (sites.iloc[:-2], "sites"), (existing, "existing")):
        frame.to_crs("EPSG:4326").to_file(folder / f"{name}.geojson")
    with pytest.warns(
        UserWarning, match=r"at the same spot|farther than 250 m from the walking network"
    ):  # the seeded points: a few share a spot, a few are off the streets
        return planner.plan(
            planner.Study(
                demand=folder / "homes.geojson",
                candidates=folder / "sites.geojson",
                existing=folder / "existing.geojson",
                network=G,
            ),
            walk=planner.Walk(minutes=4),
        )


def test_evaluate_gives_the_plans_own_figures(small_plan):
    p = small_plan
    ev = planner.evaluate(p.coverage, p.stations["site_id"])
    assert ev.stations == [str(s) for s in p.sites["site_id"].iloc[p.solution.selected]]
    assert round(ev.population_covered, 1) == planner.plan_summary(p)["population_covered"]
    assert round(ev.covered_share, 6) == planner.plan_summary(p)["covered_share"]
    np.testing.assert_array_equal(ev.covered, p.solution.covered)
    table = p.stations.set_index("site_id")["population_assigned"]
    assert set(ev.assigned) == set(table.index)
    # rounded to 0.1 so that the column adds up to the headline figure (each within 0.1 of its own)
    assert all(abs(ev.assigned[k] - v) < 0.1 + 1e-9 for k, v in table.items())
    assert round(table.sum(), 1) == planner.plan_summary(p)["population_covered"]
    assert "e01" in ev.stations and "e02" not in p.sites["site_id"].tolist()  # e02 is 250 m from every street


def decode(b64: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=dtype)


def test_the_page_data_decodes_to_the_coverage_nearest_first(small_plan):
    p = small_plan
    w = whatif_inputs(p)
    data = whatif_payload(w, p.demand)
    indptr, indices = decode(data["indptr"], "<i4"), decode(data["indices"], "<u2")
    walk = decode(data["walk"], "<f4")
    m = p.coverage.minutes.tocsr()
    assert indptr.tolist() == m.indptr.tolist() and len(indices) == m.nnz  # the plan's walk is the coverage's limit
    for h in range(m.shape[0]):
        row = m[h]
        expected = sorted(zip(row.data.tolist(), row.indices.tolist()))  # nearest first, ties by column
        got = list(zip(walk[indptr[h] : indptr[h + 1]].tolist(), indices[indptr[h] : indptr[h + 1]].tolist()))
        assert [c for _, c in got] == [c for _, c in expected]
        np.testing.assert_allclose([t for t, _ in got], [t for t, _ in expected], rtol=1e-6)
    assert decode(data["home_pop"], "<f8").tolist() == p.coverage.population.tolist()
    assert np.flatnonzero(decode(data["proposed"], "u1")).tolist() == p.solution.selected.tolist()
    assert data["name"] == p.sites["name"].tolist() and data["site_id"] == p.sites["site_id"].tolist()
    # walking areas: the chosen ones are the plan's own, every site has one, simplified by at most AREA_TOLERANCE_M
    site_ptr, ring_ptr = decode(data["area_site_ptr"], "<i4"), decode(data["area_ring_ptr"], "<i4")
    hole = decode(data["area_hole"], "u1").astype(bool)
    lat, lon = decode(data["area_lat"], "<i4") / 1e6, decode(data["area_lon"], "<i4") / 1e6
    assert len(site_ptr) == len(p.sites) + 1 and (np.diff(site_ptr) > 0).all()
    local = w.areas.estimate_utm_crs()
    simple = w.areas.to_crs(local).simplify(AREA_TOLERANCE_M, preserve_topology=True)
    for s in range(len(p.sites)):
        polygons = []
        for r in range(site_ptr[s], site_ptr[s + 1]):
            ring = np.column_stack([lon[ring_ptr[r] : ring_ptr[r + 1]], lat[ring_ptr[r] : ring_ptr[r + 1]]])
            if hole[r]:
                polygons[-1][1].append(ring)
            else:
                polygons.append((ring, []))
        page = gpd.GeoSeries([shapely.MultiPolygon(polygons)], crs="EPSG:4326").to_crs(local).iloc[0]
        # the simplified area, on a grid of micro-degrees (0.11 m here), and close to the exact area
        assert shapely.hausdorff_distance(page.boundary, simple.iloc[s].boundary, densify=0.5) < 0.2
        assert page.area == pytest.approx(w.areas.to_crs(local).area.iloc[s], rel=0.05)
    chosen = p.isochrones.set_index("site_id").geometry
    for s in p.solution.selected:
        assert w.areas.geometry.iloc[s].equals(chosen[p.sites["site_id"].iloc[s]])


# ----------------------------------------------------------------- the page in Chromium


@pytest.fixture(scope="module")
def pages(small_plan, tmp_path_factory):
    """The small plan's what-if page, offline (Plan.map(whatif=True); Plan.write and the CLI: the slow test),
    twice in English and once in Chinese."""
    folder = tmp_path_factory.mktemp("whatif")
    out = {"en": folder / "en.html", "en2": folder / "en2.html", "zh": folder / "zh.html"}
    for key, lang in (("en", "en"), ("en2", "en"), ("zh", "zh")):
        out[key].write_text(
            planner.plan_map(small_plan, lang=lang, offline=True, whatif=True).get_root().render(), encoding="utf-8"
        )
    return out


def open_page(browser, path: Path):
    """``path`` with the network off: only file:, blob: and data: URLs load; returns (context, page, log)."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, accept_downloads=True)
    context.set_offline(True)
    log = {"requests": block_network(context, ("file:", "blob:", "data:")), "errors": []}
    page = context.new_page()

    def on_console(message) -> None:
        if message.type == "error":
            log["errors"].append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    settle(page)
    return context, page, log


def settle(page) -> None:
    """Wait for the page's planner and for the map's first zoom (fitting the plan) to end: while Leaflet animates a
    zoom, its canvases ignore the pointer and sites are not yet where ``where`` says."""
    page.wait_for_function("() => window.stationPlanner !== undefined", timeout=10_000)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_function("() => document.querySelector('.leaflet-zoom-anim') === null", timeout=10_000)


def in_the_open(page, site_ids) -> list[tuple[str, float, float]]:
    """The sites of ``site_ids`` drawn in the open (on the sites' canvas, not under a panel, no other site within
    16 px), each with where it is on the page."""
    where = page.evaluate("() => Object.fromEntries(stationPlanner.sites().map((s) => [s, stationPlanner.where(s)]))")
    xy = np.array([[p["x"], p["y"]] for p in where.values()])
    found = []
    for sid in site_ids:
        x, y = where[sid]["x"], where[sid]["y"]
        near = np.hypot(*(xy - [x, y]).T)
        top = page.evaluate(
            "([x, y]) => { const e = document.elementFromPoint(x, y);"
            " return !!e && !!e.closest('.leaflet-planner-sites-pane'); }",
            [x, y],
        )
        if top and (near < 16).sum() == 1:
            found.append((sid, x, y))
    return found


def clickable(page, site_ids):
    """The first site of ``site_ids`` drawn in the open, and where it is on the page."""
    for sid in site_ids:
        found = in_the_open(page, [sid])
        if found:
            return found[0]
    raise AssertionError("no site can be clicked")


def area_point(page, k: int) -> tuple[float, float]:
    """A point of the ``k``-th drawn area (of the areas layer) in the open: the area is the first element there
    under the map's canvases (not under a panel, the legend or another control)."""
    point = page.evaluate(
        """(k) => {
            const path = document.querySelectorAll("path.planner-area")[k], box = path.getBoundingClientRect();
            for (let i = 1; i < 12; i++) {
                for (let j = 1; j < 12; j++) {
                    const x = box.left + box.width * i / 12, y = box.top + box.height * j / 12;
                    const here = document.elementsFromPoint(x, y).filter((e) => e.tagName !== "CANVAS");
                    if (here[0] === path) { return [x, y]; }
                }
            }
            return null;
        }""",
        k,
    )
    assert point is not None, f"area {k} is nowhere in the open"
    return point[0], point[1]


def panel(page) -> dict:
    figures = {
        k: page.locator(f'#planner-whatif [data-figure="{k}"]').inner_text()
        for k in ("stations", "covered", "share", "gained", "lost")
    }
    rows = page.locator("#planner-whatif tr[data-site-id]")
    figures["rows"] = {
        rows.nth(i).get_attribute("data-site-id"): rows.nth(i).locator("td").nth(1).inner_text()
        for i in range(rows.count())
    }
    return figures


def number(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))


def check_against_evaluate(page, cov, stations):
    ev = planner.evaluate(cov, stations)
    state = page.evaluate("() => window.stationPlanner.state()")
    assert state["stations"] == ev.stations
    assert state["population_covered"] == pytest.approx(ev.population_covered, rel=1e-12)
    assert state["covered_share"] == pytest.approx(ev.covered_share, rel=1e-12)
    assert state["assigned"] == pytest.approx(ev.assigned, rel=1e-12)
    shown = panel(page)
    total = float(cov.population.sum())
    assert shown["covered"] == f"{ev.population_covered:,.0f} of {total:,.0f}"
    assert shown["share"] == f"{100 * ev.covered_share:.1f}%"
    assert shown["rows"] == {k: f"{v:,.0f}" for k, v in ev.assigned.items()}
    assert list(shown["rows"]) == ev.stations  # listed in the order of the plan's sites
    return ev, state, shown


def test_click_a_candidate_and_a_station_in_chromium(chromium, small_plan, pages):
    p = small_plan
    cov, sites = p.coverage, p.sites
    proposed = [str(s) for s in sites["site_id"].iloc[p.solution.selected]]
    candidates = [str(s) for s in sites["site_id"] if str(s) not in proposed]
    context, page, log = open_page(chromium, pages["en"])
    try:
        base, _, _ = check_against_evaluate(page, cov, proposed)
        # hover a candidate: what it would add now, as evaluate tells it
        sid, x, y = clickable(page, candidates)
        page.mouse.move(x, y)
        tip = page.locator(".leaflet-tooltip").inner_text(timeout=3000)
        gain = planner.evaluate(cov, [*proposed, sid]).population_covered - base.population_covered
        assert f"+{gain:,.0f} residents" in tip
        page.mouse.click(x, y)  # the candidate becomes a station
        after_add, state, shown = check_against_evaluate(page, cov, [*proposed, sid])
        assert state["newly_covered"] == pytest.approx(gain) and state["newly_uncovered"] == 0
        assert shown["gained"] == f"+{gain:,.0f}" and "1 added" in shown["stations"]
        assert page.evaluate("(s) => stationPlanner.status(s)", sid) == "added"
        # remove an existing station with the mouse
        gone, x, y = clickable(page, ["e01"])
        page.mouse.click(x, y)
        chosen = [s for s in [*proposed, sid] if s != gone]
        ev, state, shown = check_against_evaluate(page, cov, chosen)
        lost = float(cov.population[after_add.covered & ~ev.covered & base.covered].sum())
        assert state["newly_uncovered"] == pytest.approx(lost)
        assert page.evaluate("(s) => stationPlanner.status(s)", gone) == "removed"  # drawn dashed
        # the download lists exactly the chosen stations, names kept
        with page.expect_download() as info:
            page.locator('#planner-whatif button[data-action="csv"]').click()
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
        assert [r["site_id"] for r in rows] == ev.stations
        names = dict(zip(sites["site_id"].astype(str), sites["name"].astype(str)))
        assert [r["name"] for r in rows] == [names[s] for s in ev.stations]
        assert [float(r["population_assigned"]) for r in rows] == [round(ev.assigned[s], 1) for s in ev.stations]
        with page.expect_download() as info:
            page.locator('#planner-whatif button[data-action="geojson"]').click()
        features = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))["features"]
        assert [f["properties"]["site_id"] for f in features] == ev.stations
        # back to the proposed plan
        page.locator('#planner-whatif button[data-action="reset"]').click()
        check_against_evaluate(page, cov, proposed)
        assert page.evaluate("() => window.stationPlanner.state().newly_covered") == 0
        assert log == {"requests": [], "errors": []}
    finally:
        context.close()


def test_the_page_is_the_same_bytes_escapes_names_and_speaks_chinese(chromium, small_plan, pages):
    text = pages["en"].read_bytes()
    assert text == pages["en2"].read_bytes()
    html = text.decode("utf-8")
    assert "<img src=x" not in html and "${x}" not in html and "`${x}`" not in html
    context, page, log = open_page(chromium, pages["zh"])
    try:
        assert "方案推演" in page.locator("#planner-whatif").inner_text()
        assert page.locator("img").count() == 0  # the evil name stays text
        for sid in NAMES:  # scriptable: make the three named sites stations
            if sid not in page.evaluate("() => window.stationPlanner.state().stations"):
                page.evaluate("(sid) => window.stationPlanner.toggle(sid)", sid)
        for sid, name in NAMES.items():  # listed by name, as text
            assert page.locator(f'#planner-whatif tr[data-site-id="{sid}"] td').first.inner_text() == name
        order = small_plan.sites["site_id"].astype(str).tolist()
        proposed = {order[c] for c in small_plan.solution.selected}
        ev = planner.evaluate(small_plan.coverage, sorted(proposed | set(NAMES), key=order.index))
        state = page.evaluate("() => window.stationPlanner.state()")
        assert state["stations"] == ev.stations and state["population_covered"] == pytest.approx(ev.population_covered)
        total = float(small_plan.coverage.population.sum())
        assert panel(page)["covered"] == f"{ev.population_covered:,.0f} / {total:,.0f}"
        assert log == {"requests": [], "errors": []}
        with pytest.raises(Exception, match="not a site of this plan"):
            page.evaluate("() => window.stationPlanner.toggle('nope')")
        assert log["requests"] == []
    finally:
        context.close()


def test_the_page_breaks_ties_as_python_does(chromium, tmp_path):
    """Integer minutes (many ties and zeros): after each toggle the page's figures are evaluate's."""
    n_homes, n_sites = 120, 10
    cost, weights = random_minutes(7, n_homes, n_sites)
    ids = np.array([f"t{i}" for i in range(n_sites)])
    cov = Coverage(to_csr(cost), (5.0,), np.arange(n_homes).astype(str), ids, weights)
    rng = np.random.default_rng(7)
    homes = gpd.GeoDataFrame(
        {"demand_id": cov.demand_ids, "population": weights},
        geometry=shapely.points(rng.uniform(0, 0.01, (n_homes, 2)) + np.array([24.9, 60.1])),
        crs=4326,
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ids, "name": ids, "existing": np.arange(n_sites) == 0},
        geometry=shapely.points(rng.uniform(0, 0.01, (n_sites, 2)) + np.array([24.9, 60.1])),
        crs=4326,
    )
    areas = gpd.GeoDataFrame({"site_id": ids}, geometry=sites.to_crs(3067).buffer(300).to_crs(4326).values, crs=4326)
    proposed = np.array([0, 3, 4])
    ev = planner.evaluate(cov, ids[proposed], minutes=5)
    content = planner.MapContent(
        sites.iloc[proposed], areas.iloc[proposed], homes, ev.covered, whatif=WhatIf(cov, 5.0, sites, proposed, areas)
    )
    fmap = planner.draw_map(content, offline=True)
    path = tmp_path / "ties.html"
    path.write_text(fmap.get_root().render(), encoding="utf-8")
    context, page, log = open_page(chromium, path)
    try:
        chosen = set(ids[proposed])
        for sid in rng.choice(ids, size=12):
            chosen ^= {sid}
            state = page.evaluate("(sid) => window.stationPlanner.toggle(sid)", sid)
            ev = planner.evaluate(cov, [s for s in ids if s in chosen], minutes=5)
            assert state["stations"] == ev.stations
            assert state["population_covered"] == pytest.approx(ev.population_covered, rel=1e-12)
            assert state["assigned"] == pytest.approx(ev.assigned, rel=1e-12)
        assert page.evaluate("() => window.stationPlanner.reset().stations") == list(ids[proposed])
        assert log == {"requests": [], "errors": []}
    finally:
        context.close()


@pytest.mark.slow
def test_cli_whatif_on_the_default_in_chromium(chromium, reuse_default_network, tmp_path):
    """``planner plan --whatif --offline`` on the embedded default: the page starts from summary.json's figures,
    and a candidate clicked with the mouse gives evaluate's figures for the new set."""
    from planner.cli import main

    assert main(["plan", "--whatif", "--offline", "--out", str(tmp_path), "-q"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    stations = json.loads((tmp_path / "stations.geojson").read_text(encoding="utf-8"))["features"]
    context, page, log = open_page(chromium, tmp_path / "plan.html")
    try:
        state = page.evaluate("() => window.stationPlanner.state()")
        assert sorted(state["stations"]) == sorted(f["properties"]["site_id"] for f in stations)
        assert round(state["population_covered"], 1) == summary["population_covered"]
        assert round(state["covered_share"], 6) == summary["covered_share"]
        assigned = {f["properties"]["site_id"]: f["properties"]["population_assigned"] for f in stations}
        # the file's figures are rounded to 0.1 keeping their sum (the headline): each within 0.1 of the page's
        assert set(state["assigned"]) == set(assigned)
        assert all(abs(v - assigned[k]) < 0.1 + 1e-9 for k, v in state["assigned"].items())
        assert round(sum(assigned.values()), 1) == summary["population_covered"]
        # a candidate, clicked: the figures of evaluate for that set, on the plan's own coverage
        p = planner.plan()
        candidates = [s for s in p.sites["site_id"].astype(str) if s not in state["stations"]]
        sid, x, y = clickable(page, candidates)
        page.mouse.click(x, y)
        check_against_evaluate(page, p.coverage, [*state["stations"], sid])
        assert log == {"requests": [], "errors": []}
    finally:
        context.close()


# ----------------------------------------------------------------- the areas layer follows the clicks (issue 28)


def grid(bounds, names: list[str], *, cells: int = 2) -> gpd.GeoDataFrame:
    """``cells`` x ``cells`` boxes over ``(west, south, east, north)`` named in row order; fewer names, fewer boxes."""
    west, south, east, north = bounds
    xs, ys = np.linspace(west, east, cells + 1), np.linspace(south, north, cells + 1)
    boxes = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(cells) for i in range(cells)]
    return gpd.GeoDataFrame({"name": names}, geometry=boxes[: len(names)], crs="EPSG:4326")


def walk_figures(plan, stations) -> tuple[np.ndarray, pd.DataFrame]:
    """Per home covered or not, and per row of the plan's area table its residents, covered and share, for
    ``stations``: straight from the plan's minutes (a home is covered when a station is within the plan's walk)."""
    columns = np.flatnonzero(plan.sites["site_id"].astype(str).isin(list(stations)).to_numpy())
    pairs = plan.coverage.minutes.tocsc()[:, columns].tocoo()
    covered = np.zeros(plan.coverage.shape[0], bool)
    covered[pairs.row[pairs.data <= plan.minutes]] = True
    pop = np.asarray(plan.coverage.population, float)
    homes = pd.DataFrame({"area": plan.demand["area"].astype(str).to_numpy(), "pop": pop, "covered": pop * covered})
    sums = homes.groupby("area").sum().reindex(plan.area_table["area"], fill_value=0.0)
    share = np.divide(sums["covered"], sums["pop"], out=np.zeros(len(sums)), where=sums["pop"].to_numpy() > 0)
    table = pd.DataFrame(
        {
            "name": sums.index.to_numpy(),
            "population": sums["pop"].to_numpy(),
            "population_covered": sums["covered"].to_numpy(),
            "covered_share": share,
        }
    )
    return covered, table


def area_colour(share: float) -> str:
    """The areas layer's colour of a share: the last of AREA_STEPS whose bound the share (to 4 places) reaches."""
    return [colour for bound, colour in AREA_STEPS if round(share, 4) >= bound][-1]


def fills(page) -> list[str]:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('path.planner-area'), (p) => p.getAttribute('fill'))"
    )


def check_areas_against_python(page, plan, stations, base_covered):
    """The page's totals and areas against :func:`walk_figures` for the same stations (to 0.1 resident)."""
    covered, table = walk_figures(plan, stations)
    pop = np.asarray(plan.coverage.population, float)
    state = page.evaluate("() => window.stationPlanner.state()")
    assert sorted(state["stations"]) == sorted(stations)
    assert state["population_covered"] == pytest.approx(pop[covered].sum(), abs=0.1)
    assert state["covered_share"] * pop.sum() == pytest.approx(pop[covered].sum(), abs=0.1)
    assert state["newly_covered"] == pytest.approx(pop[covered & ~base_covered].sum(), abs=0.1)
    assert state["newly_uncovered"] == pytest.approx(pop[~covered & base_covered].sum(), abs=0.1)
    areas = pd.DataFrame(state["areas"])
    assert areas["name"].tolist() == table["name"].tolist()
    for key in ("population", "population_covered"):
        np.testing.assert_allclose(areas[key], table[key], rtol=0, atol=0.1)
    np.testing.assert_allclose(
        areas["covered_share"].to_numpy() * table["population"], table["population_covered"], rtol=0, atol=0.1
    )
    # and the account Python keeps for that station set (planner.ledger, by the same definitions)
    ledger = plan.account_for(stations)
    assert state["population_covered"] == pytest.approx(ledger.people("covered"), abs=0.1)
    np.testing.assert_allclose(areas["population"], ledger.areas["population"], rtol=0, atol=0.1)
    np.testing.assert_allclose(areas["population_covered"], ledger.areas["population_covered"], rtol=0, atol=0.1)
    drawn = plan.areas["area"].astype(str).tolist()  # every polygon of the grid has a geometry
    expected = [area_colour(table.set_index("name").loc[name, "covered_share"]) for name in drawn]
    assert fills(page) == expected
    return state, table


@pytest.fixture(scope="module")
def helsinki_areas_page(helsinki, tmp_path_factory):
    """The embedded default planned with three cells of a 2 x 2 grid over its homes as areas (some homes are outside
    every area), and its what-if page, offline."""
    network, demand, _ = helsinki
    folder = tmp_path_factory.mktemp("whatif_areas")
    grid(demand.to_crs("EPSG:4326").total_bounds, ["东门社区", "West", "North"]).to_file(folder / "areas.geojson")
    plan = planner.plan(planner.Study(areas=folder / "areas.geojson", network=network))
    path = folder / "plan.html"
    path.write_text(planner.plan_map(plan, offline=True, whatif=True).get_root().render(), encoding="utf-8")
    return plan, path


@pytest.mark.slow
def test_the_areas_follow_twenty_random_clicks_on_the_default(chromium, helsinki_areas_page):
    plan, path = helsinki_areas_page
    table = plan.area_table
    assert table["area"].tolist() == ["东门社区", "West", "North", OUTSIDE]  # areas.csv's rows, the homes outside last
    order = plan.sites["site_id"].astype(str).tolist()
    proposed = [order[c] for c in plan.solution.selected]
    base_covered, _ = walk_figures(plan, proposed)
    context, page, log = open_page(chromium, path)
    try:
        # at load: the plan's own figures (areas.csv, rounded to 0.1 and 4 places) and colours
        state, _ = check_areas_against_python(page, plan, proposed, base_covered)
        areas = pd.DataFrame(state["areas"])
        np.testing.assert_allclose(areas["population"], table["population"], atol=0.1)
        np.testing.assert_allclose(areas["population_covered"], table["population_covered"], atol=0.1)
        np.testing.assert_allclose(areas["covered_share"], table["covered_share"], atol=1e-4)
        at_load = fills(page)
        # twenty seeded clicks, each on a station or a candidate (of those drawn in the open: the mouse can click them)
        pool = in_the_open(page, order)
        assert len(pool) >= 20, f"{len(pool)} of {len(order)} sites can be clicked"
        rng = np.random.default_rng(0)
        chosen = set(proposed)
        for k in rng.integers(len(pool), size=20):
            sid, x, y = pool[k]
            hover(page, x, y)  # as a hand does: over the site (its tooltip opens), then the click
            page.mouse.click(x, y)
            chosen ^= {sid}
            check_areas_against_python(page, plan, chosen, base_covered)
        # every station removed: no area has anyone covered, every area is red, and a tooltip says so
        for sid in page.evaluate("() => stationPlanner.state().stations"):
            page.evaluate("(s) => stationPlanner.toggle(s)", sid)
        state, _ = check_areas_against_python(page, plan, set(), base_covered)
        assert all(a["population_covered"] == 0 and a["covered_share"] == 0 for a in state["areas"])
        assert fills(page) == [AREA_STEPS[0][1]] * 3 != at_load
        x, y = area_point(page, 0)
        hover(page, x, y)
        assert shown(page) == "东门社区: 0.0%"
        page.mouse.click(x, y)
        assert shown(page, ".leaflet-popup-content").splitlines() == [
            "Area: 东门社区",
            f"Population: {table['population'].iloc[0]:,.0f}",
            "Population covered: 0",
            "Share covered: 0.0%",
        ]
        # back to the proposed plan: its figures and colours again
        page.locator('#planner-whatif button[data-action="reset"]').click()
        state, _ = check_areas_against_python(page, plan, proposed, base_covered)
        np.testing.assert_allclose(
            pd.DataFrame(state["areas"])["population_covered"], table["population_covered"], atol=0.1
        )
        assert fills(page) == at_load
        covered_now = f"Population covered: {table['population_covered'].iloc[0]:,.0f}"
        assert shown(page, ".leaflet-popup-content").splitlines()[2] == covered_now  # the open popup follows
        hover(page, *area_point(page, 0))
        assert shown(page) == f"东门社区: {table['covered_share'].iloc[0]:.1%}"
        assert log == {"requests": [], "errors": []}
    finally:
        context.close()


# ----------------------------------------------------------------- what a click does, in words; the scale bar

#: a site's tooltip in each of its states (issue 28: a removed proposed station said "click to add")
TIPS = {
    "en": {
        "candidate": "Candidate: {name} · click to add: +{n} residents",
        "proposed": "Proposed station: {name} · click to remove: −{n} residents",
        "dropped": "Proposed station, removed: {name} · click to restore: +{n} residents",
        "added": "Added station: {name} · click to remove: −{n} residents",
        "existing": "Existing station: {name} · click to remove: −{n} residents",
        "removed": "Existing station, removed: {name} · click to restore: +{n} residents",
    },
    "zh": {
        "candidate": "候选站点：{name} · 点击新增，增加覆盖{n}人",
        "proposed": "拟建网格站：{name} · 点击移除，失去覆盖{n}人",
        "dropped": "拟建网格站（已移除）：{name} · 点击恢复，增加覆盖{n}人",
        "added": "新增站点：{name} · 点击移除，失去覆盖{n}人",
        "existing": "现有网格站：{name} · 点击移除，失去覆盖{n}人",
        "removed": "现有网格站（已移除）：{name} · 点击恢复，增加覆盖{n}人",
    },
}


def hover(page, x: float, y: float) -> None:
    """Move the mouse to ``(x, y)`` in one step, once Leaflet's canvas reads the pointer again (it skips moves
    within 32 ms of the last one it read)."""
    page.wait_for_timeout(50)
    page.mouse.move(x, y)


def shown(page, selector: str = ".leaflet-tooltip") -> str:
    """The text of the one tooltip (or popup: ``.leaflet-popup-content``) shown; a closed one fades out first."""
    try:
        page.wait_for_function("(s) => document.querySelectorAll(s).length === 1", arg=selector, timeout=3000)
    except Exception as exc:
        raise AssertionError(f"not one {selector} shown: {page.locator(selector).all_inner_texts()}") from exc
    return page.locator(selector).inner_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tooltips_say_what_a_click_does_and_the_scale_is_metric(chromium, small_plan, pages, lang):
    p = small_plan
    cov, order = p.coverage, p.sites["site_id"].astype(str).tolist()
    names = dict(zip(order, p.sites["name"].astype(str)))
    chosen = {order[c] for c in p.solution.selected}

    def covered(stations) -> float:
        return planner.evaluate(cov, sorted(stations, key=order.index)).population_covered

    context, page, log = open_page(chromium, pages[lang])
    try:
        # a proposed station, a candidate and an existing station: hovered, clicked, and read again
        steps = [
            (sorted(chosen - {"e01"}, key=order.index), "proposed", "dropped"),
            ([s for s in order if s not in chosen], "candidate", "added"),
            (["e01"], "existing", "removed"),
        ]
        for among, before, after in steps:
            sid, x, y = clickable(page, among)
            hover(page, x, y)
            n = abs(covered(chosen ^ {sid}) - covered(chosen))
            assert page.evaluate("(s) => stationPlanner.status(s)", sid) == before
            assert shown(page) == TIPS[lang][before].format(name=names[sid], n=f"{n:,.0f}")
            page.mouse.click(x, y)
            chosen ^= {sid}
            assert page.evaluate("(s) => stationPlanner.status(s)", sid) == after
            assert shown(page) == TIPS[lang][after].format(name=names[sid], n=f"{n:,.0f}")  # what a click undoes
        # one scale bar, in metres (Leaflet's default adds feet and miles)
        scale = page.locator(".leaflet-control-scale-line")
        assert scale.count() == 1
        assert re.fullmatch(r"\d+ k?m", scale.inner_text()), scale.inner_text()
        assert not re.search(r"ft|mi", page.locator(".leaflet-control-scale").inner_text())
        assert log == {"requests": [], "errors": []}
    finally:
        context.close()


# ----------------------------------------------------------------- hostile names run no script


#: names from a planner's files that would run a script if read as markup
HOSTILE = ["</script><img src=x onerror=alert(1)>", '"><svg onload=alert(1)>', "onerror=alert(1)"]
HOSTILE_AREAS = ["<!--<script>alert(2)</script>", "<img src=x onerror=alert(2)>", 'x" onmouseover="alert(2)']


@pytest.fixture(scope="module")
def hostile_plan(tmp_path_factory):
    """A plan whose candidates and areas have names that are markup, and its what-if page (offline)."""
    folder = tmp_path_factory.mktemp("whatif_hostile")
    G = synthetic_network(5, 25)
    homes = random_points(G, 150, 1, "h")
    # six candidates on junctions far apart (each can be hovered and clicked on its own)
    xy = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in G.nodes])
    picked = [0]
    while len(picked) < 6:
        picked.append(int(np.argmax(np.hypot(*(xy[:, None, :] - xy[picked][None, :, :]).transpose(2, 0, 1)).min(1))))
    sites = gpd.GeoDataFrame(
        {"site_id": [f"c{i}" for i in range(6)], "name": [*HOSTILE, "Hall", "Park", "Square"]},
        geometry=shapely.points(xy[picked]),
        crs=G.graph["crs"],
    )
    homes.to_crs("EPSG:4326").to_file(folder / "homes.geojson")
    sites.to_crs("EPSG:4326").to_file(folder / "sites.geojson")
    # three of a 2 x 2 grid over the homes: some homes are outside every area
    grid(homes.to_crs("EPSG:4326").total_bounds, HOSTILE_AREAS).to_file(folder / "areas.geojson")
    with pytest.warns(
        UserWarning, match=r"at the same spot|farther than 250 m from the walking network"
    ):  # the seeded points: a few share a spot, a few are off the streets
        plan = planner.plan(
            planner.Study(
                demand=folder / "homes.geojson",
                candidates=folder / "sites.geojson",
                areas=folder / "areas.geojson",
                network=G,
            ),
            walk=planner.Walk(minutes=4),
        )
    page = folder / "hostile.html"
    page.write_text(planner.plan_map(plan, lang="en", offline=True, whatif=True).get_root().render(), encoding="utf-8")
    return plan, page


def test_the_page_data_names_each_homes_area(hostile_plan):
    plan, _ = hostile_plan
    w = whatif_inputs(plan)
    data = whatif_payload(w, plan.demand)
    assert data["area_name"] == plan.area_table["area"].tolist() == [*HOSTILE_AREAS, OUTSIDE]
    home_area = decode(data["home_area"], "<i4")
    assert np.array(data["area_name"])[home_area].tolist() == plan.demand["area"].astype(str).tolist()
    assert data["area_polygon"] == [0, 1, 2, -1]  # the homes outside every area have no polygon
    n = len(plan.demand)
    with pytest.raises(InputError, match=f"what-if areas: {n - 1} home areas for {n} homes"):
        whatif_payload(dataclasses.replace(w, home_area=w.home_area[:-1]), plan.demand)
    with pytest.raises(InputError, match="a home area out of range"):
        whatif_payload(dataclasses.replace(w, home_area=np.full(n, 4)), plan.demand)
    # an areas layer the page could not recolour is refused
    bare = dataclasses.replace(w, area_names=(), home_area=np.zeros(0, np.int64), area_polygon=np.zeros(0, np.int64))
    with pytest.raises(InputError, match="the map draws 3 areas and the what-if data knows the homes of 0"):
        planner.draw_map(
            planner.MapContent(
                plan.stations, plan.isochrones, plan.demand, plan.solution.covered, areas=plan.areas, whatif=bare
            )
        )


def test_hostile_names_run_no_script_and_read_as_text(chromium, hostile_plan):
    plan, path = hostile_plan
    text = path.read_text(encoding="utf-8")
    for name in [*HOSTILE, *HOSTILE_AREAS]:  # no name in the page as markup (JSON escapes < > & ' ...)
        assert ("<" not in name and '"' not in name) or name not in text, name
    assert "<svg onload" not in text and "<img src=x" not in text and "<!--<script>" not in text
    context = chromium.new_context(viewport={"width": 1200, "height": 800})
    watch_scripts(context)
    context.set_offline(True)
    log = {"requests": block_network(context, ("file:", "blob:", "data:")), "errors": []}
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and log["errors"].append(m.text))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(path.as_uri(), wait_until="load")
        settle(page)
        names = dict(zip(plan.sites["site_id"].astype(str), plan.sites["name"].astype(str)))
        assert [names[f"c{i}"] for i in range(3)] == HOSTILE  # kept as given
        for i in range(3):  # hover and click each: tooltip and the panel's list show the name as text
            sid, x, y = clickable(page, [f"c{i}"])
            hover(page, x, y)
            assert HOSTILE[i] in shown(page)
            page.mouse.click(x, y)
            assert HOSTILE[i] in shown(page)
            if sid not in page.evaluate("() => stationPlanner.state().stations"):
                page.mouse.click(x, y)  # a station now: listed in the panel
            row = page.locator(f'#planner-whatif tr[data-site-id="{sid}"] td').first
            assert row.inner_text() == HOSTILE[i]
        # the areas: their tooltips and popups, rebuilt by the page on every click, show the names as text
        for k, name in enumerate(HOSTILE_AREAS):
            x, y = area_point(page, k)
            hover(page, x, y)
            assert shown(page).startswith(f"{name}: ")
            page.mouse.click(x, y)
            assert shown(page, ".leaflet-popup-content").splitlines()[0] == f"Area: {name}"
        assert [a["name"] for a in page.evaluate("() => stationPlanner.state().areas")] == plan.area_table[
            "area"
        ].tolist()
        page.wait_for_timeout(300)  # an image that failed to load would have fired by now
        assert page.evaluate("() => window.__scriptsRan") == [] and dialogs == []
        assert page.evaluate("() => document.querySelectorAll('img, [onerror], [onload], [onmouseover]').length") == 0
        assert log == {"requests": [], "errors": []}
    finally:
        context.close()


def _readme_screenshots() -> list[Path]:  # pragma: no cover - run by hand
    """Redraw docs/img/whatif_before.png and whatif_after.png: the default plan's what-if page, offline,
    before and after a click on the station whose removal uncovers the most residents (under 300 KB each)."""
    import tempfile

    from PIL import Image
    from playwright.sync_api import sync_playwright

    from planner.cli import main

    img = Path(__file__).resolve().parents[1] / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        assert main(["plan", "--whatif", "--offline", "--out", tmp, "-q"]) == 0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=BROWSER_ARGS)
            context, page, log = open_page(browser, Path(tmp) / "plan.html")
            page.set_viewport_size({"width": 1000, "height": 640})
            page.wait_for_timeout(300)
            # "can we do without this one?": the station whose removal leaves the most residents uncovered
            state = page.evaluate("() => window.stationPlanner.state()")
            loss = {s: page.evaluate("(s) => window.stationPlanner.marginal(s)", s) for s in state["stations"]}
            for sid in sorted(loss, key=lambda s: loss[s]):  # of those in the open, right of the panel
                try:
                    sid, x, y = clickable(page, [sid])
                except AssertionError:
                    continue
                if 450 < x < 900 and 150 < y < 560:
                    break
            shots = [img / "whatif_before.png", img / "whatif_after.png"]
            page.mouse.move(x, y)
            page.wait_for_timeout(200)
            page.screenshot(path=str(shots[0]))
            page.mouse.click(x, y)
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots[1]))
            assert log == {"requests": [], "errors": []}, log
            context.close()
            browser.close()
    for shot in shots:
        Image.open(shot).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(shot, optimize=True)
        assert shot.stat().st_size < 300_000, (shot, shot.stat().st_size)
    return shots


if __name__ == "__main__":  # pragma: no cover
    import sys

    if "--readme" in sys.argv:
        print(_readme_screenshots())
