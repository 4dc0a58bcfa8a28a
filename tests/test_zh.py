"""Chinese throughout (--lang zh: report lines, ranking, curve, charts with a CJK font) and maps that
open in mainland China (--inline-assets: no CDN; every online asset at an exact version)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from instances import beijing_plan
from reference import unescape_js

import planner
from planner.cli import main
from planner.cli import rank as rank_cli  # its printing helpers, tested here as a unit
from planner.ledger import account
from planner.outputs import fonts
from planner.outputs.console import OUTPUT_DESCRIPTIONS, Reporter, report_plan
from planner.outputs.maps import check_basemap, leaflet_assets
from planner.outputs.maps.draw import MapContent, draw_map
from planner.outputs.maps.leaflet import ASSET_URLS, heat_plugin
from planner.outputs.plots import curve_png
from planner.text import words

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
KEY = "0123456789abcdef0123456789abcdef"
#: the planner's warnings on the Guixi extract: homes far from the streets, few homes and places mapped
GUIXI_WARNINGS = r"farther than 250 m from the walking network|OpenStreetMap maps few homes|OpenStreetMap gives only"


def _numbers(line: str) -> list[str]:
    return NUMBER.findall(line)


def _curve() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "p": [1, 2, 3],
            "population_covered": [500.0, 800.0, 880.0],
            "covered_share": [0.5, 0.8, 0.84],
            "coverable_share": [0.5 / 0.85, 0.8 / 0.85, 0.84 / 0.85],
            "status": ["optimal"] * 3,
        }
    )


# ----------------------------------------------------------------- fonts and charts


def _cjk_font() -> str:
    family = fonts.cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk or fonts-wqy-zenhei)")
    return family


def test_chinese_text_without_a_cjk_font_warns_of_missing_glyphs():
    """The check below can fail: DejaVu Sans alone draws Chinese as boxes, with matplotlib's warning."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("覆盖曲线")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.canvas.draw()
        plt.close(fig)


def test_chart_in_chinese_has_every_glyph():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = _cjk_font()
    # filterwarnings=error: a missing glyph would fail here
    zh, en = curve_png(_curve(), 5, "zh"), curve_png(_curve(), 5, "en")
    assert zh[:8] == b"\x89PNG\r\n\x1a\n" and zh != en
    assert zh == curve_png(_curve(), 5, "zh")  # the same bytes each time
    # every character of the chart's Chinese labels is in the font chart_fonts picks for them
    text = "".join(words("zh", "chart").values())
    with fonts.chart_fonts("zh") as shown:
        assert shown
        fig, ax = plt.subplots()
        label = ax.set_title(text)
        path = font_manager.findfont(label.get_fontproperties())
        fig.canvas.draw()
        plt.close(fig)
    assert family in {e.name for e in font_manager.fontManager.ttflist if e.fname == path}
    face = FT2Font(path)
    missing = [
        c for c in set(text) if not c.isspace() and "{" not in c and "}" not in c and not face.get_char_index(ord(c))
    ]
    assert missing == []


def test_a_font_installed_after_matplotlib_built_its_cache_is_found(monkeypatch):
    from matplotlib import font_manager

    family = _cjk_font()
    # matplotlib's font list as it was before the font was installed: no CJK family in it
    stale = [e for e in font_manager.fontManager.ttflist if e.name not in fonts.CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    assert fonts._lookup() == family
    assert family in {e.name for e in font_manager.fontManager.ttflist}


def test_without_a_cjk_font_the_chart_is_in_english_and_says_so(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    with pytest.warns(fonts.CJKFontWarning) as caught:
        png = curve_png(_curve(), 5, "zh")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "\n" not in message and "fonts-noto-cjk" in message and "fonts-wqy-zenhei" in message
    assert png == curve_png(_curve(), 5, "en")  # English labels, nothing drawn as boxes
    with fonts.chart_fonts("en") as shown:  # English needs no font: no warning
        assert shown


def test_curve_command_in_chinese_without_a_font_warns_in_one_line(monkeypatch, tmp_path, capsys):
    """The CLI prints the warning once, as one line, and the curve's lines in Chinese."""
    import planner.runs.curve

    def fake_curve(*_, **kwargs):
        return (
            _curve().assign(site_ids="a", names="A"),
            {"80%": 2, "90%": 3, "95%": None, "100%": None},
            curve_png(_curve(), 5, kwargs["lang"]),
        )

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(planner.runs.curve, "coverage_curve_plan", fake_curve)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # as outside pytest: the CLI prints a warning, it does not raise it
        assert main(["curve", "--max-p", "3", "--lang", "zh", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert [line for line in err.splitlines() if line.startswith("warning:")] == [
        f"warning: {fonts.no_cjk_font_message()}"
    ]
    assert "所需站点数（按全部居民的覆盖率）：80%: 2, 90%: 无法达到（任何方案最多覆盖85.0%）" in out
    assert (tmp_path / "curve.png").read_bytes() == curve_png(_curve(), 5, "en")


# ----------------------------------------------------------------- the lines printed


def _result() -> SimpleNamespace:
    """A plan's summary touching every line report_plan prints (tiers, areas, raster, homes left out)."""
    summary = {
        "n_stations": 3,
        "model": "tiers",
        "solver_status": "time_limit",
        "gap": 0.0123,
        "population_covered": 1234.5,
        "population_total": 2000.0,
        "covered_share": 0.61725,
        "minutes": 5.0,
        "n_centres": 1,
        "max_centres": 2,
        "tier_minutes": 15.0,
        "n_grid": 2,
        "n_beyond_centre": 4,
        "population_beyond_centre": 56.0,
        "longest_walk": 4.83,
        "mean_minutes": 2.71,
        "population_covered_twice": 310.0,
        "cost": 7.5,
        "raster": {
            "name": "pop.tif",
            "units": "count",
            "placement": "buildings",
            "population": 1999.0,
            "cells": 412,
            "population_outside": 17.0,
        },
        "n_areas": 3,
        "lowest_area": {"area": "东湖社区", "covered_share": 0.25},
        "population_outside_areas": 12.0,
        "n_uncoverable": 3,
        "population_uncoverable": 90.0,
        "n_off_network": 1,
        "population_off_network": 20.0,
        "unreachable": [
            {
                "demand_id": "w1",
                "population": 40.0,
                "reason": "no candidate within 5 min",
                "nearest_site_name": "西站",
                "nearest_minutes": 7.25,
            },
            {
                "demand_id": "w2",
                "population": 30.0,
                "reason": "no candidate within 5 min",
                "nearest_site_name": None,
                "nearest_minutes": None,
            },
            {
                "demand_id": "w3",
                "population": 20.0,
                "reason": "no street within 250 m",
                "street_m": 412.0,
                "nearest_site_name": None,
                "nearest_minutes": None,
            },
        ],
    }
    stations = pd.DataFrame(
        {
            "site_id": ["a", "b", "c"],
            "name": ["甲", "乙", "丙"],
            "tier": ["centre", "grid", "grid"],
            "status": ["new", "existing", "new"],
            "population_assigned": [600.0, 400.0, 234.5],
        }
    )
    areas = pd.DataFrame(
        {
            "area": ["东湖社区", "西湖社区", "南湖社区"],
            "covered_share": [0.25, 0.4, 0.9],
            "population": [100.0, 200.0, 300.0],
        }
    )
    return SimpleNamespace(summary=summary, stations=stations, area_table=areas, ledger=_ledger())


def _ledger():
    """The account of the summary above: 1,234.5 covered, 675.5 coverable, w1 / w2 beyond every candidate, w3 off the
    streets; two sites (one chosen, a centre), a tier walk that reaches a possible centre from the first home only."""
    demand = gpd.GeoDataFrame(
        {
            "demand_id": ["c1", "c2", "w1", "w2", "w3"],
            "population": [1234.5, 675.5, 40.0, 30.0, 20.0],
            "street_m": [5.0, 5.0, 5.0, 5.0, 412.0],
        },
        geometry=gpd.points_from_xy(range(5), range(5)),
        crs="EPSG:3857",
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b"], "existing": [False, False], "tier": ["centre", "any"]},
        geometry=gpd.points_from_xy([0, 1], [0, 1]),
        crs="EPSG:3857",
    )
    within = sp.csr_matrix(([True, True], ([0, 1], [0, 1])), shape=(5, 2))
    return account(
        demand,
        sites,
        within,
        np.array([True, False, False, False, False]),
        np.array([2, 3, 4]),
        np.array([0]),
        minutes=5.0,
        tier_minutes=15.0,
        centre_within=within,
        tier_of=np.array(["centre", "grid"], dtype=object),
    )


def _report(lang: str, capsys) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:  # the summary above, not one computed from a plan
        patch.setattr("planner.outputs.console.plan_summary", lambda result: result.summary)
        report_plan(Reporter(quiet=False), _result(), [Path("out/plan.html"), Path("out/areas.csv")], lang)
    return capsys.readouterr().out.splitlines()


def test_plan_report_in_chinese_line_by_line(capsys):
    en, zh = _report("en", capsys), _report("zh", capsys)
    assert (
        en[0] == "3 stations (tiers, time limit reached) cover 1,234 of 2,000 residents (61.7%) within 5 minutes' walk"
    )
    assert zh[0] == "3个站点（tiers，达到时间限制）在步行5分钟内覆盖1,234名居民，占全部2,000名居民的61.7%"
    assert len(en) == len(zh) == 38
    for e, z in zip(en, zh):
        # the same figures, in the same order (the Chinese lines say them in their own order: compare sorted)
        assert sorted(_numbers(e)) == sorted(_numbers(z)), (e, z)
        # no English left: words of four letters or more are the model, the --time-limit option, raster's fields
        # and file names
        words = set(re.findall(r"[A-Za-z]{4,}", z))
        assert words <= {"tiers", "time", "limit", "count", "buildings", "stations", "areas", "plan", "html"}, z
        assert "--time-limit" in z or not {"time", "limit"} & words, z
    assert "  甲［社区党群服务中心，新建］：600人" in zh and "  乙［网格站，现有］：400人" in zh
    assert "  w3：20名居民，250米内无街道（最近的在412米外）" in zh
    assert zh[-2:] == ["已写入 out/plan.html（地图）", "已写入 out/areas.csv（各社区的人口、覆盖率及最近站点）"]


def test_output_descriptions_are_the_english_table():
    assert {
        k[len("output_") :]: v for k, v in words("en", "cli").items() if k.startswith("output_")
    } == OUTPUT_DESCRIPTIONS
    assert {k for k in words("zh", "cli") if k.startswith("output_")} == {f"output_{k}" for k in OUTPUT_DESCRIPTIONS}


def test_curve_and_ranking_lines_in_chinese(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")  # the ranking table on one line per row
    lines = {}
    for lang in ("en", "zh"):
        rank_cli._print_curve(Reporter(quiet=False), _curve(), {"80%": 2, "100%": None}, 3, [Path("curve.csv")], lang)
        lines[lang] = capsys.readouterr().out.splitlines()
    assert lines["en"][-3:] == [
        "stations needed, share of the residents some candidate reaches: 80%: 2, 100%: more than 3",
        "stations needed, share of all residents: 80%: 2, 90%: never (no plan reaches more than 85.0%), "
        "95%: never (no plan reaches more than 85.0%), 100%: never (no plan reaches more than 85.0%)",
        "wrote curve.csv",
    ]
    assert lines["zh"][-3:] == [
        "所需站点数（按候选点可达居民的覆盖率）：80%: 2, 100%: 多于3个",
        "所需站点数（按全部居民的覆盖率）：80%: 2, 90%: 无法达到（任何方案最多覆盖85.0%）, "
        "95%: 无法达到（任何方案最多覆盖85.0%）, 100%: 无法达到（任何方案最多覆盖85.0%）",
        "已写入 curve.csv",
    ]
    assert lines["zh"][1:4] == lines["en"][1:4]  # the table's rows: figures only
    table = pd.DataFrame(
        {
            "rank": [1],
            "name": ["文化站"],
            "population_within": [321.0],
            "population_10min": [456.0],
            "population_15min": [789.0],
            "marginal_population": [123.0],
            "greedy_gain": [120.0],
            "overlap_share": [0.25],
            "worst_home_id": ["w9"],
            "worst_home_minutes_to_existing": [np.nan],
            "worst_home_minutes_to_site": [4.5],
        }
    )
    rank_cli._print_ranking(table, 5.0, None, {"--csv": Path("rank.csv")}, "zh")
    out = capsys.readouterr().out
    for text in (
        "按步行5分钟内居民数排序的候选站点",
        "排名",
        "贪心增益",
        "无 → 4.5",
        "已写入 rank.csv（1个站点）",
        "321.0",
    ):
        assert text in out, text
    assert "none" not in out and "wrote" not in out


# ----------------------------------------------------------------- maps without a CDN


def _page(basemap: str, **options) -> str:
    stations, iso, demand, covered, candidates, G = beijing_plan()
    content = MapContent(stations, iso, demand, covered, candidates=candidates, network=G)
    key = KEY if basemap == "tianditu" else None
    return draw_map(content, basemap=basemap, tianditu_key=key, **options).get_root().render()


def _links(page: str) -> list[str]:
    """Every ``<script src>`` / ``<link href>`` (and any other element that loads a file)."""
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, flags=re.IGNORECASE)
    return [t for t in tags if re.search(r"\b(src|href)\s*=", t)]


TILE_HOSTS = {
    "osm": "tile.openstreetmap.org",
    "carto": "basemaps.cartocdn.com",
    "gaode": "is.autonavi.com",
    "tianditu": "tianditu.gov.cn/vec_w",
}


@pytest.mark.parametrize("basemap", ["osm", "gaode", "tianditu"])
def test_inline_assets_page_asks_no_cdn(basemap):
    page = _page(basemap, inline_assets=True)
    assert _links(page) == []
    assert "jsdelivr" not in page and "@main" not in page
    js, css, _ = leaflet_assets()
    assert js[:200] in page and css[:200] in page
    assert heat_plugin()[-200:] in page and "L.heatLayer(" in page  # the heat layer's plugin, inlined
    assert TILE_HOSTS[basemap] in page  # the tiles are still the chosen basemap's
    assert '"pane": "planner-basemap"' not in page  # the tiles are the basemap: no streets drawn as one
    assert page == _page(basemap, inline_assets=True)  # the same bytes each time


@pytest.mark.parametrize("basemap", ["osm", "carto", "gaode", "tianditu"])
def test_online_page_loads_only_exact_versions(basemap):
    page = _page(basemap)
    loaded = [re.search(r'(?:src|href)="([^"]+)"', t).group(1) for t in _links(page)]
    assert sorted(loaded) == sorted(ASSET_URLS)
    for url in ASSET_URLS:
        assert re.search(r"@v?\d+\.\d+\.\d+/", url) and "@main" not in url and "@latest" not in url, url
    # every other URL on the page is a tile template or a link in the attribution
    text = unescape_js(page).replace('\\"', '"')
    others = set(re.findall(r"https?://[^\s\"'<>]+", text)) - set(ASSET_URLS)
    assert others
    for url in others:
        assert "{z}" in url or f'<a href="{url}">' in text, url
    assert "@main" not in page


def test_offline_with_gaode_tiles_over_the_drawn_streets():
    page = _page("gaode", offline=True)
    assert _links(page) == [] and TILE_HOSTS["gaode"] in page and "planner-basemap" in page
    panes = dict(re.findall(r'createPane\(\s*"([^"]+)"\s*\);\s*\w+\.style\.zIndex\s*=\s*(\d+)', page))
    assert int(panes["planner-basemap"]) < 200  # Leaflet's tile pane: the tiles cover the streets where they load
    assert "L.heatLayer(" not in page  # offline: the heat map drawn as circles, no plugin
    # the OSM credit once (on the drawn streets), not also appended to the tiles' attribution
    assert page.count("OpenStreetMap contributors (ODbL)") == 1
    assert check_basemap("tianditu", KEY, offline=True) == KEY
    assert _links(_page("osm", offline=True)) == [] and "tile.openstreetmap.org" not in _page("osm", offline=True)


@pytest.mark.slow  # the whole plan on the embedded default, through the CLI (about 10 s)
def test_cli_plan_in_chinese_for_mainland_china(tmp_path, capsys, reuse_default_network):
    assert main(["plan", "--lang", "zh", "--inline-assets", "--basemap", "gaode", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    page = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert _links(page) == [] and TILE_HOSTS["gaode"] in page and "lang=zh_cn" in page
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert out.startswith(
        f"{summary['n_stations']}个站点（lscp，最优解）在步行5分钟内覆盖{summary['population_covered']:,.0f}名居民"
    )
    assert f"已写入 {tmp_path / 'plan.html'}（地图）" in out and "wrote" not in out


@pytest.mark.slow  # plans a Chinese county town from its .osm file, in the notebook and again here (about 40 s)
def test_your_town_notebook_in_chinese_from_an_osm_file(tmp_path):
    import shutil

    nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (pip install -e '.[test]')")
    nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (pip install -e '.[test]')")
    from conftest import shared_file

    import planner

    osm = shared_file("guixi_jiangxi.osm")
    repo = Path(__file__).resolve().parents[1]
    work = tmp_path / "project"
    shutil.copytree(repo / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(repo / "data", work / "data")
    nb = nbformat.read(work / "notebooks" / "03_your_town.ipynb", as_version=4)
    params = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("OSM_FILE = None"))
    params.source = (
        params.source.replace("OSM_FILE = None", f"OSM_FILE = {str(osm)!r}")
        .replace('LANG = "en"', 'LANG = "zh"')
        .replace('PLACE = "Monaco"', 'PLACE = ""')
    )
    nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        allow_errors=False,
        resources={"metadata": {"path": str(work / "notebooks")}},
    ).execute()
    out = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in out if o.get("output_type") == "stream" and o.get("name") == "stdout")
    with pytest.warns(UserWarning, match=GUIXI_WARNINGS):  # Guixi's thin OSM data, as the notebook reports it
        ref = planner.plan_summary(planner.plan(planner.Study(source=osm)))
    assert f"数据源：{osm.name}" in text
    assert f"站点数：{ref['n_stations']}\n" in text
    assert f"覆盖人口：{ref['population_covered']:,.1f} / {ref['population_total']:,.1f}" in text
    assert "已跳过：PLACE 为空" in text and "stations:" not in text
    pages = [
        o["data"]["text/html"] for o in out if "text/html" in o.get("data", {}) and "L.map(" in o["data"]["text/html"]
    ]
    assert pages and "拟建网格站" in unescape_js(pages[0])  # the map in Chinese
    assert len([o for o in out if "image/png" in o.get("data", {})]) >= 2
    if fonts.cjk_font() is not None:  # the charts were drawn in Chinese, no glyph missing
        assert not [o for o in out if o.get("name") == "stderr" and "missing from font" in o.get("text", "")]


def test_inlined_leaflet_is_the_release_online_pages_load():
    from planner.outputs.maps.leaflet import LEAFLET_VERSION, leaflet_assets

    js, _, _ = leaflet_assets()
    assert re.search(r"Leaflet (\d+\.\d+\.\d+)", js[:2000]).group(1) == LEAFLET_VERSION
    assert all(f"leaflet@{LEAFLET_VERSION}/" in url for url in ASSET_URLS if "/npm/leaflet@" in url)


def test_station_sheet_in_chinese(default_network, tmp_path):
    """stations.xlsx under --lang zh: every header in Chinese, tiers / statuses / OSM kinds / yes-no in Chinese, the
    figures those of stations.csv (whose English names stay, as the README documents)."""
    import openpyxl

    from planner import plan

    p = plan(planner.Study(network=default_network))
    planner.write(p, tmp_path, lang="zh")
    csv = pd.read_csv(tmp_path / "stations.csv", encoding="utf-8-sig")
    sheet = openpyxl.load_workbook(tmp_path / "stations.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert sheet.title == "站点" and len(head) == len(csv.columns) and len(body) == len(csv)
    for h in head:  # Chinese, bar the datum names in brackets
        assert not re.search(r"[A-Za-z]", re.sub(r"（[^）]*）", "", h)), h
    table = pd.DataFrame(body, columns=head)
    assert list(table["名称"]) == list(csv["name"]) and list(table["站点编号"]) == list(csv["site_id"])
    assert set(table["层级"]) <= {"社区党群服务中心", "网格站"} and set(table["状态"]) <= {"新建", "现有"}
    assert set(table["现有站点"]) <= {"是", "否"}
    assert not any(re.search(r"[A-Za-z]", str(v)) for v in table["类型"]), list(table["类型"])
    assert np.allclose(table["分配居民数（每户只计一次）"].astype(float), csv["population_assigned"])
    assert sum(table["分配居民数（每户只计一次）"]) == pytest.approx(
        planner.plan_summary(p)["population_covered"], abs=0.05
    )
