"""The user-facing words (planner.text): every key in English and Chinese, with the same fields, and a Chinese
plan (report and terminal lines) left with no English of the planner's own, only names and numbers from the data."""

from __future__ import annotations

import csv
import json
import re
import string
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.cli import main
from planner.errors import InputError
from planner.text import LANGS, TABLES, Phrase, words

ROOT = Path(__file__).resolve().parents[1]

ENTRIES = [(surface, key) for surface, table in TABLES.items() for key in table]


def fields(text: str) -> set[str]:
    """The names of a phrase's fields (``{n:station|stations}`` and ``{n:,}`` are both ``n``)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_surface_has_words():
    assert set(TABLES) == {"map", "whatif", "cli", "chart", "report", "account", "sheet"}
    assert LANGS == ("en", "zh")
    assert all(len(table) for table in TABLES.values())
    assert len(ENTRIES) > 300


@pytest.mark.parametrize("surface, key", ENTRIES, ids=[f"{s}.{k}" for s, k in ENTRIES])
def test_every_key_in_both_languages_with_the_same_fields(surface, key):
    entry = TABLES[surface][key]
    assert set(entry) == set(LANGS), f"{surface}.{key}: {sorted(entry)}"
    en, zh = entry["en"], entry["zh"]
    assert en.strip() and zh.strip(), f"{surface}.{key}: an empty phrase"
    assert fields(en) == fields(zh), f"{surface}.{key}: {fields(en)} in English, {fields(zh)} in Chinese"
    # Chinese has no plural: no field of a count's singular | plural
    assert not [spec for _, _, spec, _ in string.Formatter().parse(zh) if spec and "|" in spec], f"{surface}.{key}"
    # and every phrase formats with its fields filled in (no stray brace)
    values = dict.fromkeys(fields(en), 1)
    for text in (en, zh):
        Phrase(text).format(**values)


def test_words_are_the_tables_as_phrases():
    for surface, table in TABLES.items():
        for lang in LANGS:
            shown = words(lang, surface)
            assert list(shown) == list(table)
            assert all(isinstance(v, Phrase) and v == table[k][lang] for k, v in shown.items())
    assert words("en", "cli")["wrote_sites"].format(path="x.csv", n=1) == "wrote x.csv  (1 site)"
    assert words("zh", "map")["legend"] == "图例"
    with pytest.raises(InputError, match="lang='fr': expected one of en, zh"):
        words("fr", "map")
    with pytest.raises(KeyError):
        words("en", "nowhere")
    with pytest.raises(TypeError):
        words("en", "map")["legend"] = "x"  # read-only


# ----------------------------------------------------------------- a Chinese plan holds no English of its own


class _Visible(HTMLParser):
    """The text a reader sees: text nodes outside <style> / <script>, and alt / aria-label / title attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("style", "script")
        self.parts += [v for k, v in attrs if k in ("alt", "aria-label", "title") and v]

    def handle_endtag(self, tag):
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def _visible(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return "\n".join(parser.parts)


#: ASCII words a Chinese page may hold that are not the data's: proper names, acronyms and a command
PROPER = {
    "Station",
    "Planner",
    "OpenStreetMap",
    "ODbL",
    "HiGHS",
    "LSCP",
    "MCLP",
    "PSCP",
    "GIS",
    "Excel",
    "planner",
    "curve",
}


def _data_values(out: Path) -> list[str]:
    """Every string of the plan's own data, longest first: the files' names, the cells of the tables written
    (names, ids, kinds, statuses), the sites' names and kinds, summary.json's strings."""
    values = [path.name for path in out.iterdir()]
    for name in ("stations.csv", "unreachable.csv", "areas.csv"):
        if (out / name).exists():
            with (out / name).open(encoding="utf-8-sig") as f:
                values += [cell for row in list(csv.reader(f))[1:] for cell in row]
    values += [
        str(v) for v in gpd.read_file(out / "plan.gpkg", layer="sites")[["site_id", "name", "kind"]].values.ravel()
    ]

    def strings(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
        elif isinstance(value, str):
            yield value

    values += list(strings(json.loads((out / "summary.json").read_text(encoding="utf-8"))))
    return sorted({v for v in values if re.search("[A-Za-z]", v)}, key=len, reverse=True)


def _english_phrases() -> list[str]:
    """The literal runs of the English phrases (between fields) of three words or more."""
    runs = set()
    for table in TABLES.values():
        for entry in table.values():
            for literal, _, _, _ in string.Formatter().parse(entry["en"]):
                for run in re.split(r"[^A-Za-z' ]*[^A-Za-z' ]+[^A-Za-z' ]*", literal):
                    if len(run.split()) >= 3:
                        runs.add(run.strip())
    return sorted(runs)


@pytest.fixture(scope="module")
def zh_plan(default_network, tmp_path_factory):
    """``planner plan --lang zh``, tiered, with the sample existing stations and two areas named in Chinese."""
    folder = tmp_path_factory.mktemp("zh_text")
    xy = np.array([[d["x"], d["y"]] for _, d in default_network.nodes(data=True)])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    mid = (x0 + x1) / 2
    boxes = [shapely.box(x0, y0, mid, y1), shapely.box(mid, y0, x1, y1)]
    areas = gpd.GeoDataFrame({"name": ["西区", "东区"]}, geometry=boxes, crs=default_network.graph["crs"])
    areas.to_crs("EPSG:4326").to_file(folder / "areas.geojson", driver="GeoJSON")
    out = folder / "out"
    args = ["plan", "--lang", "zh", "--tiers", "--existing", str(ROOT / "data" / "sample_existing.csv")]
    args += ["--areas", str(folder / "areas.geojson"), "--out", str(out)]
    return out, args


def test_a_chinese_plan_holds_no_english_but_names(zh_plan, capsys):
    """The Chinese report and terminal lines: no run of three English words of the planner's phrases, and with the
    data's names, ids and kinds taken out, no English word but proper names (OpenStreetMap, HiGHS...)."""
    out, args = zh_plan
    assert main(args) == 0
    lines = capsys.readouterr().out
    report = _visible((out / "report.html").read_text(encoding="utf-8"))
    assert "规划问题" in report and "输入中的每位居民" in lines  # Chinese, with the account
    data = _data_values(out)
    for where, text in (("report.html", report), ("the terminal", lines)):
        left = [run for run in _english_phrases() if run in text]
        assert not left, f"{where}: English phrases left: {left}"
        text = text.replace(str(out), " ")  # the paths written
        for value in data:  # the names, ids and kinds of the data, as they are
            text = text.replace(value, " ")
        stray = {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in PROPER}
        assert not stray, f"{where}: English words of the planner's own: {sorted(stray)}"
