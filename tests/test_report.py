"""The committee report (report.html): its figures re-derived from the coverage matrix, escaping, no outside
URL, the same bytes twice, and Debian's chromium printing it to A4 PDF in English and Chinese (pypdf reads the
figures back). ``python tests/test_report.py --readme`` redraws docs/img/report_zh_page1.png and
docs/img/station_table.png."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import shutil
import string
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from browser import BROWSER_ARGS, block_network, chromium_browser

import planner
from planner.errors import InputError
from planner.optimize import solve
from planner.outputs.report_figures import scale_metres
from planner.text import TABLES, words

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
#: the two area names: markup and an ampersand, which must reach the page escaped
AREA_NAMES = ["<b>West</b> & 西区", "East 东区"]


class Tables(HTMLParser):
    """Every table of a page as rows of cell text (by the table's class), the headings, and the img sources."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.headings: list[str] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append((a.get("class") or "", []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "h2", "h3"):
            self._heading = []
        elif tag == "img":
            self.images.append(a["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)

    def table(self, css: str) -> list[list[str]]:
        return next(rows for name, rows in self.tables if name == css)


def parse(page: str) -> Tables:
    parser = Tables()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def areas_file(default_network, tmp_path_factory):
    """Two areas splitting the default's streets west / east, named with markup (GeoJSON, WGS-84)."""
    xy = np.array([[d["x"], d["y"]] for _, d in default_network.nodes(data=True)])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    mid = (x0 + x1) / 2
    boxes = [shapely.box(x0, y0, mid, y1), shapely.box(mid, y0, x1, y1)]
    areas = gpd.GeoDataFrame({"name": AREA_NAMES}, geometry=boxes, crs=default_network.graph["crs"])
    path = tmp_path_factory.mktemp("areas") / "areas.geojson"
    areas.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="module")
def plan_ex(default_network, areas_file):
    """The embedded default with the two sample existing stations and the two areas."""
    return planner.plan(planner.Study(existing=DATA / "sample_existing.csv", areas=areas_file, network=default_network))


@pytest.fixture(scope="module")
def pages(plan_ex):
    return {lang: planner.plan_report(plan_ex, lang=lang) for lang in ("en", "zh")}


def _within(plan) -> np.ndarray:
    """Dense homes x sites: within the plan's walk (from the stored minutes, not the package's helpers)."""
    m = plan.coverage.minutes.tocoo()
    out = np.zeros(plan.coverage.minutes.shape, bool)
    ok = m.data <= plan.minutes + 1e-9
    out[m.row[ok], m.col[ok]] = True
    return out


def _figures(plan) -> dict[str, float]:
    within = _within(plan)
    pop = plan.demand["population"].to_numpy(float)
    chosen = np.isin(plan.sites["site_id"], plan.stations["site_id"])
    return {
        "total": pop.sum(),
        "reachable": pop[within.any(axis=1)].sum(),
        "before": pop[within[:, plan.existing].any(axis=1)].sum(),
        "after": pop[within[:, chosen].any(axis=1)].sum(),
    }


def test_before_and_after_rederived(plan_ex, pages):
    f = _figures(plan_ex)
    assert f["before"] == pytest.approx(1867, abs=0.5)  # data/README.md: station 2 reaches 1,867 (station 1 fewer)
    rows = parse(pages["en"]).table("before-after")
    assert rows[0] == ["", "Existing stations only", "With the plan"]
    assert rows[1][1:] == ["2", str(len(plan_ex.stations))]
    assert rows[2][1:] == [f"{f['before']:,.0f}", f"{f['after']:,.0f}"]
    assert rows[3][0] == f"Share of all {f['total']:,.0f} residents"
    assert rows[3][1:] == [f"{f['before'] / f['total']:.1%}", f"{f['after'] / f['total']:.1%}"]
    assert rows[4][1:] == [f"{f['before'] / f['reachable']:.1%}", f"{f['after'] / f['reachable']:.1%}"]
    # the zh page carries the same figures
    zh = parse(pages["zh"]).table("before-after")
    assert [r[1:] for r in zh[1:]] == [r[1:] for r in rows[1:]]


def test_station_table_matches_the_plan(plan_ex, pages):
    rows = parse(pages["en"]).table("stations")
    st = plan_ex.stations
    within, pop = _within(plan_ex), plan_ex.demand["population"].to_numpy(float)
    columns = {sid: k for k, sid in enumerate(plan_ex.sites["site_id"])}
    assert len(rows) == len(st) + 2  # header, stations, total
    for k, row in enumerate(rows[1:-1]):
        assert row[0] == str(k + 1) and row[1] == st["name"].iloc[k]
        assert row[3] == ("existing" if st["existing"].iloc[k] else "new")
        # the table rounds to 0.1 first: the whole number may differ by one where the tenths end in 5
        reached = pop[within[:, columns[st["site_id"].iloc[k]]]].sum()
        assert float(row[4].replace(",", "")) == pytest.approx(reached, abs=0.55)
    assert rows[-1][5] == f"{_figures(plan_ex)['after']:,.0f}"  # assigned residents add up to those covered
    zh = parse(pages["zh"]).table("stations")
    assert zh[0][:3] == ["序号", "名称", "层级"] and {r[3] for r in zh[1:-1]} == {"拟建", "现有"}


def test_areas_and_homes_left_out(plan_ex, pages):
    page = pages["en"]
    assert "<b>West" not in page and "&lt;b&gt;West&lt;/b&gt; &amp; 西区" in page
    areas = parse(page).table("areas")
    pop = plan_ex.demand["population"].to_numpy(float)
    covered = _within(plan_ex)[:, np.isin(plan_ex.sites["site_id"], plan_ex.stations["site_id"])].any(axis=1)
    for row, name in zip(areas[1:], AREA_NAMES):
        inside = plan_ex.demand["area"].to_numpy() == name
        assert row[0] == name and row[1] == f"{pop[inside].sum():,.0f}"
        assert row[3] == f"{pop[inside & covered].sum():,.0f}"
    left = parse(page).table("homes")
    unreached = ~_within(plan_ex).any(axis=1)
    assert len(left) - 1 == unreached.sum() == 4
    ids = set(plan_ex.demand["demand_id"].to_numpy()[unreached])
    assert {r[0] for r in left[1:]} == ids and all(r[2] == "No candidate site within 5 minutes' walk" for r in left[1:])
    assert "5分钟步行范围内无候选站点" in pages["zh"]


def test_curve_rederived(plan_ex, pages):
    curve = parse(pages["en"]).table("curve-table")[1:]
    f = _figures(plan_ex)
    ps = [int(r[0]) for r in curve]
    assert ps == list(range(2, len(plan_ex.stations) + 1))  # the existing two, up to the plan's count
    covered = [float(r[1].replace(",", "")) for r in curve]
    assert covered[0] == pytest.approx(f["before"], abs=0.5)  # p = 2: the existing stations alone
    assert covered[-1] == pytest.approx(f["reachable"], abs=0.5)  # lscp's count covers every reachable home
    assert covered == sorted(covered)
    # the exact optimum is never below a greedy plan that starts from the existing two (a plain loop here)
    within, pop = _within(plan_ex), plan_ex.demand["population"].to_numpy(float)
    reached = within[:, plan_ex.existing].any(axis=1)
    greedy = [pop[reached].sum()]
    for _ in ps[1:]:
        gain = (within & ~reached[:, None]).T.astype(float) @ pop
        reached = reached | within[:, int(np.argmax(gain))]
        greedy.append(pop[reached].sum())
    assert all(c >= g - 0.5 for c, g in zip(covered, greedy))
    assert covered[1] == pytest.approx(greedy[1], abs=0.5)  # one station more: greedy is exact
    assert "<svg" in pages["en"] and "xmlns" not in pages["en"]


def test_curve_capped(plan_ex, pages):
    """A plan with more stations than the curve's steps: the curve stops, says so, and marks no plan point."""
    from planner.outputs.report import plan_report

    page = plan_report(plan_ex, curve_steps=3)
    rows = parse(page).table("curve-table")[1:]
    assert [r[0] for r in rows] == ["2", "3", "4"]
    assert rows == parse(pages["en"]).table("curve-table")[1:4]  # the same optimum as the full curve's first three
    n = len(plan_ex.stations)
    assert f"the curve stops after 3 values of p (this plan has {n} stations)" in page
    assert 'class="plan"' not in page and 'class="plan"' in pages["en"]


def test_self_contained_and_the_same_bytes(plan_ex, pages):
    for page in pages.values():
        assert "://" not in page and "url(" not in page and "@import" not in page
        assert len(parse(page).images) == 1 and parse(page).images[0].startswith("data:image/png;base64,")
    assert planner.plan_report(plan_ex, lang="en") == pages["en"]
    png = base64.b64decode(parse(pages["en"]).images[0].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"tEXt" not in png and b"tIME" not in png
    assert pages["en"].startswith('<!DOCTYPE html>\n<html lang="en">')
    assert pages["zh"].startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    with pytest.raises(InputError, match="lang='fr': expected one of en, zh"):
        planner.plan_report(plan_ex, lang="fr")


HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"quoted\" & 'apostrophes'"]


def test_hostile_names_are_escaped(plan_ex):
    """Names from OSM or a user's file (stations, homes, nearest candidates, areas, the source) reach the page as text."""
    k = len(HOSTILE)
    stations = plan_ex.stations.copy()
    stations.loc[: k - 1, "name"] = HOSTILE
    left = plan_ex.unreachable.copy()
    left.loc[: k - 1, "demand_id"] = HOSTILE
    left.loc[: k - 1, "nearest_site_name"] = HOSTILE
    areas = plan_ex.area_table.copy()
    areas.loc[:1, "area"] = HOSTILE[:2]
    areas.loc[:1, "nearest_station"] = HOSTILE[1:3]
    network = plan_ex.network.copy()
    network.graph["source"] = HOSTILE[0]
    sites = plan_ex.sites.copy()
    sites.attrs = {**plan_ex.sites.attrs, "existing_file": HOSTILE[1]}  # a file's name is the user's text too
    hostile = dataclasses.replace(
        plan_ex, stations=stations, unreachable=left, area_table=areas, network=network, sites=sites
    )
    for lang in ("en", "zh"):
        page = planner.plan_report(hostile, lang=lang)
        assert "<script" not in page and "<img src=x" not in page and '"quoted"' not in page
        assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
        assert page.count("&quot;quoted&quot; &amp; &#x27;apostrophes&#x27;") >= 4


def test_input_files_are_named(plan_ex, pages, tmp_path):
    """The committee sees which files the plan read (names only, no folders): summary, report in both languages."""
    n = int(plan_ex.existing.sum())
    assert planner.plan_summary(plan_ex)["existing_file"] == "sample_existing.csv" and n == 2
    assert "demand_file" not in planner.plan_summary(plan_ex) and "candidate_file" not in planner.plan_summary(
        plan_ex
    )  # both from OSM
    assert f"{n:,} from sample_existing.csv, kept in the plan" in pages["en"]
    assert f"{n:,}个（来自sample_existing.csv），规划中予以保留" in pages["zh"]
    homes = tmp_path / "社区人口 2024.csv"
    ll = plan_ex.demand.to_crs("EPSG:4326")
    compounds = [f"<b>小区{i}</b>" for i in range(len(ll))]  # the file's names (小区名称), markup included
    pd.DataFrame(
        {"小区名称": compounds, "lon": ll.geometry.x, "lat": ll.geometry.y, "population": plan_ex.demand["population"]}
    ).to_csv(homes, index=False)
    cands = tmp_path / "candidates.csv"
    sl = plan_ex.sites[~plan_ex.existing].to_crs("EPSG:4326")
    pd.DataFrame({"lon": sl.geometry.x, "lat": sl.geometry.y, "name": sl["name"]}).to_csv(cands, index=False)
    own = planner.plan(planner.Study(demand=homes, candidates=cands, network=plan_ex.network))
    assert (
        planner.plan_summary(own)["demand_file"] == "社区人口 2024.csv"
        and planner.plan_summary(own)["candidate_file"] == "candidates.csv"
    )
    assert "existing_file" not in planner.plan_summary(own) and str(tmp_path) not in json.dumps(
        planner.plan_summary(own), ensure_ascii=False
    )
    page = planner.plan_report(own, lang="en")
    assert "from a population file (社区人口 2024.csv)" in page
    assert f"{len(sl):,} from candidates.csv" in page
    assert "来自人口文件（社区人口 2024.csv）" in planner.plan_report(own, lang="zh")
    # the homes keep their names: in the left-out table (escaped), unreachable.csv and the GIS homes layer
    from planner.outputs.gis_layers import home_layer

    named = dict(zip(own.demand["demand_id"], own.demand["name"]))
    assert set(own.demand["name"]) <= set(compounds) and len(own.unreachable)
    first = own.unreachable.iloc[0]
    assert first["name"] == named[first["demand_id"]]
    assert f"{html.escape(first['name'])} ({first['demand_id']})" in page
    assert home_layer(own)["name"].tolist() == own.demand["name"].tolist()


def test_left_out_without_a_name_and_unrounded_sums(plan_ex):
    """A home off the streets and one whose nearest candidate has no name print no 'nan'; group sums are unrounded."""
    left = plan_ex.unreachable.copy()
    assert len(left) >= 3
    left["nearest_site_name"] = left["nearest_site_name"].astype(object)
    left.loc[0, ["reason", "nearest_site_name", "nearest_minutes"]] = ["no street within 250 m", np.nan, np.nan]
    left.loc[1, "nearest_site_name"] = np.nan
    page = planner.plan_report(dataclasses.replace(plan_ex, unreachable=left), lang="en")
    assert ">nan<" not in page and "nan</td>" not in page
    exact = plan_ex.demand.set_index("demand_id")["population"]
    rest = exact[left["demand_id"].iloc[1:]].sum()
    assert f"<td class=num>{rest:,.0f}</td>" in page  # the 'no candidate' group, from the unrounded residents
    assert f"<td class=num>{exact[left['demand_id'].iloc[0]]:,.0f}</td>" in page


def test_other_models_ask_their_own_question(plan_ex):
    """mclp with p = 4: the question, and the homes some candidate reaches that the four leave out."""
    sol = solve(plan_ex.coverage, model="mclp", p=4, required=np.flatnonzero(plan_ex.existing))
    mclp = plan_ex.with_solution(sol)
    page = planner.plan_report(mclp, lang="en")
    assert "Where should 4 stations go so that the most residents are within a 5-minute walk of one?" in page
    within, pop = _within(mclp), mclp.demand["population"].to_numpy(float)
    missed = within.any(axis=1) & ~within[:, sol.selected].any(axis=1)
    assert f"A further {missed.sum():,} homes ({pop[missed].sum():,.0f} residents) could be reached" in page
    assert "maximal covering (MCLP), p = 4" in page


class _NoMap:
    """Stands in for the folium map (its drawing is tested in test_maps.py), to keep this test quick."""

    def get_root(self):
        return self

    def render(self):
        return "map"


def test_write_and_scale_bar(plan_ex, pages, tmp_path, monkeypatch):
    monkeypatch.setattr(planner.outputs.folder, "plan_map", lambda plan, **kwargs: _NoMap())
    paths = planner.write(plan_ex, tmp_path, lang="zh")
    assert tmp_path / "report.html" in paths
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == pages["zh"]
    assert [scale_metres(s) for s in (1234.0, 5000.0, 900.0, 3.0)] == [200.0, 1000.0, 100.0, 1.0]


#: the plural nouns after a count in the English phrases (perhaps after one of the words of COUNT_WORDS): never
#: after 1, and their singular never after 2
PLURAL_NOUNS = (
    "stations",
    "homes",
    "sites",
    "areas",
    "places",
    "points",
    "centres",
    "junctions",
    "segments",
    "values",
    "cells",
)
COUNT_WORDS = ("existing", "new", "community", "grid", "home", "street", "OpenStreetMap")


def _counted(count: int, nouns) -> re.Pattern:
    """``count``, perhaps one of COUNT_WORDS, then one of ``nouns`` (not a word of a longer noun: "home points")."""
    words = "|".join(COUNT_WORDS)
    return re.compile(rf"\b{count} (?:(?:{words}) )?(?:{'|'.join(nouns)})\b(?! (?:point|segment))")


def _every_count(phrase: str, count: int) -> str:
    """``phrase`` with every field set to ``count`` (names, paths and figures alike)."""
    fields = {name for _, name, _, _ in string.Formatter().parse(phrase) if name}
    return phrase.format(**dict.fromkeys(fields, count))


def test_a_count_of_one_takes_the_singular():
    """Every English phrase (the report, the map, the command line...) with its counts set to 1, then to 2: no
    "1 stations", "1 existing stations", "1 homes"..., and no "2 station" (Chinese has no plural)."""
    one, two = _counted(1, PLURAL_NOUNS), _counted(2, [noun[:-1] for noun in PLURAL_NOUNS])
    phrases = {f"{surface} {k}": v for surface in TABLES for k, v in words("en", surface).items()}
    # planner optimize's line says "1 sites" for one site: kept as printed when the words moved to planner.text
    del phrases["cli optimize_result"]
    counted = 0
    for key, phrase in phrases.items():
        singular, plural = _every_count(phrase, 1), _every_count(phrase, 2)
        assert not one.search(singular), f"{key}: {singular!r}"
        assert not two.search(plural), f"{key}: {plural!r}"
        counted += bool(_counted(2, PLURAL_NOUNS).search(plural))
    assert counted >= 15  # the phrases with a counted noun were all looked at
    # the verbs agree too
    assert _every_count(words("en", "report")["left_out_intro"], 1).startswith(
        "1 home (1 residents) has no candidate site"
    )
    assert _every_count(words("en", "cli")["unreachable"], 1).startswith("1 home (1 residents) is beyond")
    assert _every_count(words("en", "cli")["unreachable"], 2).startswith("2 homes (2 residents) are beyond")


def test_a_one_station_plan_says_one_station(default_network, capsys):
    """MCLP with p = 1: the report's question and answer and the terminal's headline say "1 station", with the
    figures re-derived from the coverage matrix."""
    from planner.outputs.console import Reporter, report_plan

    single = planner.plan(planner.Study(network=default_network), model="mclp", p=1)
    assert len(single.stations) == 1 and not single.existing.any()
    f = _figures(single)
    page = html.unescape(planner.plan_report(single, lang="en"))
    assert "Where should 1 station go so that the most residents are within a 5-minute walk of one?" in page
    assert f"Answer: 1 station (1 new, 0 existing) puts {f['after']:,.0f} of {f['total']:,.0f} residents" in page
    assert not re.search(r"\b1 (?:stations|homes|sites)\b", page)
    capsys.readouterr()
    report_plan(Reporter(quiet=False), single, [], "en")
    headline = capsys.readouterr().out.splitlines()[0]
    assert headline == (
        f"1 station (mclp, optimal) covers {f['after']:,.0f} of {f['total']:,.0f} residents "
        f"({f['after'] / f['total']:.1%}) within 5 minutes' walk"
    )


# ----------------------------------------------------------------- chromium prints it on A4


@pytest.fixture(scope="module")
def pdfs(pages, tmp_path_factory):
    """Both pages printed by Debian's chromium (Playwright, one browser session) with the network off."""
    pypdf = pytest.importorskip("pypdf", reason="pypdf not installed (pip install -e '.[test]')")
    folder = tmp_path_factory.mktemp("report")
    out = {}
    with chromium_browser() as browser:
        context = browser.new_context(offline=True)
        asked = block_network(context)
        page = context.new_page()
        for lang, text in pages.items():
            path = folder / f"report_{lang}.html"
            path.write_text(text, encoding="utf-8")
            page.goto(path.as_uri(), wait_until="load")
            page.pdf(path=str(folder / f"report_{lang}.pdf"), format="A4", prefer_css_page_size=True)
            out[lang] = pypdf.PdfReader(folder / f"report_{lang}.pdf")
        assert asked == []
    return out


def _text(reader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_printed_pdf_holds_the_figures(pdfs, plan_ex, lang):
    reader = pdfs[lang]
    assert len(reader.pages) >= 2
    for page in reader.pages:  # A4 portrait: 210 x 297 mm in points
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx((595.3, 841.9), abs=1)
    text = _flat(_text(reader))
    f = _figures(plan_ex)
    for figure in (f["total"], f["after"], f["before"], f["reachable"]):
        assert f"{figure:,.0f}" in text
    for share in (f["after"] / f["total"], f["before"] / f["total"], f["after"] / f["reachable"]):
        assert f"{share:.1%}" in text
    n = len(plan_ex.stations)
    assert (f"{n}stations(" if lang == "en" else f"{n}个站点（") in text
    for name in plan_ex.stations["name"]:
        assert _flat(name) in text, name
    # the map: one embedded raster the size of the figure, on the page after the first
    images = [(k, im) for k, page in enumerate(reader.pages) for im in page.images]
    assert len(images) == 1 and images[0][0] == 1
    width, _ = images[0][1].image.size
    assert width > 800


def test_printed_zh_headings(pdfs):
    fc_list = shutil.which("fc-list")
    fonts = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout if fc_list else ""
    if not fonts.strip():
        pytest.skip("no CJK font installed (apt-get install -y fonts-wqy-zenhei): Chinese glyphs cannot print")
    text = _flat(_text(pdfs["zh"]))
    for key in ("question_h", "assumptions_h", "before_after_h", "map_h", "areas_h", "left_out_h", "curve_h"):
        assert _flat(words("zh", "report")[key]) in text, key
    assert "5分钟生活圈服务站点规划报告" in text


# ----------------------------------------------------------------- README images


def readme_images(out: Path = ROOT / "docs" / "img") -> None:
    """The zh report's first printed page (pdftoppm) and its station table as PNGs for the README (~900 px wide)."""
    from playwright.sync_api import sync_playwright

    plan = planner.plan(planner.Study(existing=DATA / "sample_existing.csv"))
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    html_path = work / "report_zh.html"
    html_path.write_text(planner.plan_report(plan, lang="zh"), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 794, "height": 1123}, device_scale_factor=1.13)
        page.goto(html_path.as_uri(), wait_until="load")
        page.pdf(path=str(work / "report_zh.pdf"), format="A4", prefer_css_page_size=True)
        page.locator("#stations").screenshot(path=str(out / "station_table.png"))
        browser.close()
    page_one = ["-png", "-r", "108", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(["pdftoppm", *page_one, str(work / "report_zh.pdf"), str(out / "report_zh_page1")], check=True)
    shutil.rmtree(work)


if __name__ == "__main__" and "--readme" in sys.argv:
    readme_images()
