"""Hostile names (issue 28): site names that are markup or spreadsheet formulas run nothing and read as text.

Seven names (markup that would set ``window.__pwned`` if a page ran it, and formulas a spreadsheet would run) are
given to the embedded default's places: as existing stations (kept, so chosen: in every table and on the map) and
again as candidates elsewhere (one of them the candidate nearest the homes no site reaches, so that
``unreachable.csv`` and the report's left-out table name it). ``planner plan --whatif --offline --format shp`` writes
the outputs (offline: the page must work with the network off in the browser). Then:

- every CSV the run wrote, parsed with the csv module, has no cell a spreadsheet would open as a formula, and the
  workbook holds the names as text;
- report.html and plan.html hold no name as markup; in headless Chromium (network off) no script runs (``__pwned``
  stays undefined, no dialog, no element ever gets an ``on...`` attribute) and the names read as text; on the
  what-if page each hostile station and candidate is hovered and clicked (stations removed, candidates added) and
  the page checked again (the few drawn under the panel or beside another site toggled through the page's API).
"""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from browser import block_network, chromium_browser
from reference import formula_cells, guarded

import planner
from planner.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"

HOSTILE = [
    "</script><img src=x onerror=window.__pwned=1>",
    '"><svg onload=window.__pwned=1>',
    "onerror=window.__pwned=1",
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
]
#: the embedded default's candidate nearest to the homes no candidate reaches within 5 minutes (tests/test_csv_safety.py)
FAR_SITE = "osm-node-4544347110"

#: before any script of the page: record every element that gets an ``on...`` attribute (markup smuggled in
#: by a name), at load or later, and every dialog
WATCH = """
(() => {
    const seen = window.__handlers = [];
    for (const name of ["alert", "confirm", "prompt"]) {
        window[name] = (...args) => { seen.push(name + "(" + args.join(",") + ")"); };
    }
    const check = (element) => {
        for (const e of [element, ...element.querySelectorAll("*")]) {
            for (const a of e.getAttributeNames()) {
                if (/^on/i.test(a)) { seen.push(e.tagName.toLowerCase() + "[" + a + "]"); }
            }
        }
    };
    new MutationObserver((records) => {
        for (const r of records) {
            if (r.type === "attributes" && /^on/i.test(r.attributeName)) { seen.push("attribute " + r.attributeName); }
            for (const n of r.addedNodes) { if (n.nodeType === 1) { check(n); } }
        }
    }).observe(document, {childList: true, subtree: true, attributes: true});
})();
"""


@pytest.fixture(scope="module")
def hostile(helsinki, tmp_path_factory):
    """The run's output folder and its Plan: the embedded default with the hostile names on 14 places far apart."""
    network, _, sites = helsinki
    folder = tmp_path_factory.mktemp("hostile")
    places = sites.to_crs("EPSG:4326").reset_index(drop=True)
    ids = places["site_id"].astype(str).tolist()
    assert FAR_SITE in ids, f"{FAR_SITE} is no longer among the embedded default's candidates: pick another"
    # 14 places far apart, so that each can be hovered and clicked on its own: FAR_SITE first
    xy = np.column_stack([sites.geometry.x, sites.geometry.y])
    picked = [ids.index(FAR_SITE)]
    while len(picked) < 14:
        gap = np.hypot(*(xy[:, None, :] - xy[picked][None, :, :]).transpose(2, 0, 1)).min(axis=1)
        picked.append(int(np.argmax(gap)))
    existing, named = picked[7:], picked[:7]
    table = pd.DataFrame(
        {
            "site_id": ids,
            "name": places["name"].astype(str),
            "lon": places.geometry.x.round(8),
            "lat": places.geometry.y.round(8),
        }
    )
    table.loc[named, "name"] = HOSTILE[3:] + HOSTILE[:3]  # FAR_SITE: a formula, for unreachable.csv
    table.loc[existing, "name"] = HOSTILE
    table.drop(index=existing).to_csv(folder / "candidates.csv", index=False)
    table.loc[existing].to_csv(folder / "existing.csv", index=False)
    out = folder / "out"
    plans = []
    real_plan = planner.runs.pipeline.plan

    def spy(*args, **kwargs):  # keeps the Plan the CLI writes
        plans.append(real_plan(*args, **kwargs))
        return plans[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
        patch.setattr(planner.runs.pipeline, "plan", spy)
        args = ["--candidates", str(folder / "candidates.csv"), "--existing", str(folder / "existing.csv")]
        code = main(["plan", *args, "--whatif", "--offline", "--format", "shp", "--out", str(out), "-q"])
    assert code == 0
    (plan,) = plans
    names = dict(zip(plan.sites["site_id"].astype(str), plan.sites["name"].astype(str)))
    assert [names[ids[i]] for i in existing] == HOSTILE  # read back as written
    assert [names[ids[i]] for i in named] == HOSTILE[3:] + HOSTILE[:3]
    assert sorted(plan.stations.loc[plan.stations["existing"], "name"]) == sorted(HOSTILE)  # all chosen
    return {
        "out": out,
        "plan": plan,
        "stations": [ids[i] for i in existing],
        "candidates": [ids[i] for i in named],
        "names": names,
    }


# ----------------------------------------------------------------- the tables


def csv_rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_no_csv_cell_opens_as_a_formula(hostile):
    out = hostile["out"]
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv"))
    assert {"stations.csv", "unreachable.csv", "shp/fields.csv"} <= set(found)
    for name in found:
        data = (out / name).read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(data, newline="")))
        assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows), name  # no cell split
        assert formula_cells(rows) == [], name
    existing = [row["name"] for row in csv_rows(out / "stations.csv") if row["status"] == "existing"]
    assert sorted(existing) == sorted(guarded(n) for n in HOSTILE)
    assert guarded(HOSTILE[3]) in {row["nearest_site_name"] for row in csv_rows(out / "unreachable.csv")}


def test_the_workbook_holds_the_names_as_text(hostile):
    sheet = openpyxl.load_workbook(hostile["out"] / "stations.xlsx")["stations"]
    header = [cell.value for cell in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    names = [row[header.index("name")] for row in rows if row[header.index("status")].value == "existing"]
    assert sorted(cell.value for cell in names) == sorted(HOSTILE)
    assert all(cell.data_type == "s" for cell in names)  # no formula


# ----------------------------------------------------------------- the pages


@pytest.mark.parametrize("page", ["report.html", "plan.html"])
def test_no_name_is_markup_in_the_pages(hostile, page):
    text = (hostile["out"] / page).read_text(encoding="utf-8")
    for markup in ("<img src=x", "<svg onload", "</script><img"):
        assert markup not in text, markup
    if page == "report.html":  # the stations' table and the left-out table: each name escaped
        for name in HOSTILE:
            assert html.escape(name, quote=True) in text, name


def open_page(browser, path):
    """``path`` with the network off and :data:`WATCH` installed; returns (context, page, log of errors, dialogs)."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_offline(True)
    context.add_init_script(WATCH)
    log = {"blocked": block_network(context, ("file:", "blob:", "data:")), "errors": [], "dialogs": []}
    page = context.new_page()
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    return context, page, log


def assert_nothing_ran(page, log) -> None:
    page.wait_for_timeout(300)  # an image that failed to load would have fired its handler by now
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.evaluate("() => window.__handlers") == []
    on = page.evaluate(
        """() => Array.from(document.querySelectorAll("*")).flatMap((e) =>
            e.getAttributeNames().filter((a) => /^on/i.test(a)).map((a) => e.tagName + "[" + a + "]"))"""
    )
    assert on == []
    assert log["dialogs"] == [] and log["errors"] == []


@pytest.mark.slow
def test_the_report_runs_no_script_in_chromium(chromium, hostile):
    context, page, log = open_page(chromium, hostile["out"] / "report.html")
    try:
        assert_nothing_ran(page, log)
        text = page.evaluate("() => document.body.innerText")
        for name in HOSTILE:  # the stations' table names every station; the left-out table FAR_SITE
            assert name in text, name
        cells = page.evaluate("() => Array.from(document.querySelectorAll('td'), (td) => td.textContent)")
        assert set(HOSTILE) <= set(cells)  # each a whole cell, as text
    finally:
        context.close()


def settle(page) -> None:
    """The page's planner is there and the map's first zoom is over (sites are where ``where`` says)."""
    page.wait_for_function("() => window.stationPlanner !== undefined", timeout=10_000)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_function("() => document.querySelector('.leaflet-zoom-anim') === null", timeout=10_000)


def spot(page, site_id: str) -> tuple[float, float] | None:
    """Where ``site_id`` is drawn, if a click there reaches it: on the sites' pane, no other site within 16 px."""
    where = page.evaluate("() => stationPlanner.sites().map((s) => [s, stationPlanner.where(s)])")
    xy = {s: (p["x"], p["y"]) for s, p in where}
    x, y = xy[site_id]
    crowded = sum(np.hypot(x - a, y - b) < 16 for a, b in xy.values()) > 1
    top = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); return !!e && !!e.closest('.leaflet-planner-sites-pane'); }",
        [x, y],
    )
    return None if crowded or not top else (x, y)


def tooltip(page) -> str:
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tooltip').length === 1", timeout=3000)
    return page.locator(".leaflet-tooltip").inner_text()


@pytest.mark.slow
def test_the_whatif_page_runs_no_script_in_chromium(chromium, hostile):
    names = hostile["names"]
    context, page, log = open_page(chromium, hostile["out"] / "plan.html")
    try:
        settle(page)
        assert_nothing_ran(page, log)
        state = page.evaluate("() => stationPlanner.state()")
        assert set(hostile["stations"]) <= set(state["stations"])
        for sid in hostile["stations"]:  # the panel lists each station by its name, as text
            assert page.locator(f'#planner-whatif tr[data-site-id="{sid}"] td').first.inner_text() == names[sid]
        clicked = 0
        for sid in hostile["stations"] + hostile["candidates"]:
            before = page.evaluate("(s) => stationPlanner.status(s)", sid)
            where = spot(page, sid)
            if where is None:  # under the panel or beside another site: toggled as a script would
                page.evaluate("(s) => stationPlanner.toggle(s)", sid)
            else:
                page.wait_for_timeout(50)  # Leaflet's canvas skips a move within 32 ms of the last one it read
                page.mouse.move(*where)
                assert names[sid] in tooltip(page)  # the tooltip names it, as text
                page.mouse.click(*where)
                assert names[sid] in tooltip(page)
                clicked += 1
            after = page.evaluate("(s) => stationPlanner.status(s)", sid)
            assert (before, after) in {("existing", "removed"), ("candidate", "added"), ("proposed", "dropped")}, sid
            row = page.locator(f'#planner-whatif tr[data-site-id="{sid}"] td')
            if after == "added":  # a station now: listed in the panel by its name
                assert row.first.inner_text() == names[sid]
            else:
                assert row.count() == 0
        assert clicked >= 10, f"only {clicked} of the 14 hostile sites could be clicked"
        assert_nothing_ran(page, log)
        assert log["blocked"] == []
    finally:
        context.close()


# ----------------------------------------------------------------- names that break the map's templates

MAP_NAMES = [
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
        rows = list(csv.DictReader(fh))[: len(MAP_NAMES)]
    candidates = folder / "candidates.csv"
    with open(candidates, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["lon", "lat", "name"])
        for row, name in zip(rows, MAP_NAMES):
            writer.writerow([row["lon"], row["lat"], name])
    out = folder / "out"
    code = main(
        [
            "plan",
            "--candidates",
            str(candidates),
            "--model",
            "mclp",
            "--p",
            str(len(MAP_NAMES)),
            "--offline",
            "--out",
            str(out),
            "-q",
        ]
    )
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
        geometry=[shapely.Point(24.94 + 0.002 * i, 60.17) for i in range(n)],
        crs="EPSG:4326",
    )
    iso = gpd.GeoDataFrame({"site_id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    demand = gpd.GeoDataFrame(
        {"demand_id": ["h0"], "population": [5.0]}, geometry=[shapely.Point(24.941, 60.171)], crs="EPSG:4326"
    )
    html = draw_map(MapContent(stations, iso, demand, np.array([True])), offline=True).get_root().render()
    path = tmp_path_factory.mktemp("breakers") / "map.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_hostile_names_survive_the_plan(hostile_run):
    code, out = hostile_run
    assert code == 0
    stations = json.loads((out / "stations.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["name"] for f in stations["features"]) == sorted(MAP_NAMES)


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

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("console", on_console)
    blocked = block_network(page)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # let onerror handlers of broken images fire
    title_on_load = page.title()
    has_leaflet = page.evaluate("() => typeof window.L !== 'undefined' && !!window.L.Map")
    result = (
        page.evaluate(OPEN_POPUPS)
        if has_leaflet
        else {"mode": "no Leaflet", "tooltips": [], "popups": [], "title": page.title(), "maps": 0, "markers": 0}
    )
    page.wait_for_timeout(300)
    result.update(
        title_on_load=title_on_load,
        title_after=page.title(),
        dialogs=dialogs,
        page_errors=page_errors,
        console_errors=console_errors,
        blocked=blocked,
        leaflet=has_leaflet,
    )
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
        f"a station name ran as JavaScript and set document.title ({r['mode']})"
    )


def test_rendered_tooltips_show_names_as_text(rendered):
    r = rendered["plan"]
    texts = [" ".join(t.split()) for t in r["tooltips"]]
    for name in MAP_NAMES:
        assert any(name in t for t in texts), f"{name!r} not shown literally in any tooltip ({r['mode']}): {texts[:8]}"


def test_rendered_popups_show_names_as_text(rendered):
    r = rendered["plan"]
    popups = r["popups"]
    assert len(popups) >= len(MAP_NAMES)
    for name in MAP_NAMES:
        assert any(name in t for t in popups), f"{name!r} not shown literally in any popup ({r['mode']}): {popups[:3]}"
    # the popup's markup is markup, not text shown to the user
    assert not [t for t in popups if "<b>" in t or "&lt;" in t], f"popups show raw HTML: {popups[:2]}"


@pytest.mark.parametrize("which", ["plan", "breakers"])
def test_rendered_page_script_is_valid(rendered, which):
    r = rendered[which]
    # the offline page runs whole with the network off: Leaflet inlined, nothing requested, no error
    assert r["leaflet"] and r["maps"] == 1, r["mode"]
    assert r["markers"] == (len(MAP_NAMES) if which == "plan" else len(TEMPLATE_BREAKERS))
    assert r["blocked"] == [], f"the offline page asked the network for {r['blocked']}"
    assert r["page_errors"] == [] and r["console_errors"] == [], (r["page_errors"], r["console_errors"])


def test_rendered_breakers_show_names_as_text(rendered):
    r = rendered["breakers"]
    texts = [" ".join(t.split()) for t in r["tooltips"] + r["popups"]]
    for name in TEMPLATE_BREAKERS:
        assert any(name in t for t in texts), f"{name!r} not shown literally ({r['mode']}): {texts[:4]}"
