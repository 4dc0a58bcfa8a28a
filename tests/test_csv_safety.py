"""Spreadsheet-safe tables (issue 28): no CSV the planner writes opens as a formula.

Sites and areas named like formulas (OWASP's CSV injection: ``=1+1``,
``@SUM(1+1)*cmd|' /C calc'!A0``...) go through ``planner plan``, ``curve``, ``score``
and ``optimize``; every CSV they write is parsed with the csv module, cell by cell.
The workbook keeps the names as text, and the planner's own readers take the
guarded names back as they were.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from reference import formula_cells, guarded

import planner
from planner.cli import main
from planner.io import read_points
from planner.outputs.files import csv_text, xlsx_bytes

NAMES = [
    "=1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd",
    "-2+3",
    "</script><img src=x onerror=alert(1)>",
    "\tTAB",
]
AREA_NAMES = ['=HYPERLINK("http://x","社区")', "-东门社区"]
#: the embedded default's candidate nearest to the homes no candidate reaches (a 10.6-minute walk away)
FAR_SITE = "osm-node-4544347110"


@pytest.fixture(scope="module")
def runs(helsinki, tmp_path_factory):
    """One run of each command on the embedded default, with the formula-like names; their output files."""
    network, homes, sites = helsinki
    folder = tmp_path_factory.mktemp("csv_safety")
    # six of the default's candidate places, renamed: as existing stations they are all kept; the last is the
    # place nearest to the homes no site reaches within 5 minutes, so that unreachable.csv names it too
    places = sites.to_crs("EPSG:4326")
    far = places[places["site_id"] == FAR_SITE]
    assert len(far) == 1, f"{FAR_SITE} is no longer among the embedded default's candidates: pick another"
    chosen = pd.concat([places.iloc[::11].head(len(NAMES) - 1), far])
    named = folder / "sites.csv"
    pd.DataFrame({"lon": chosen.geometry.x, "lat": chosen.geometry.y, "name": NAMES}).to_csv(named, index=False)
    # two areas splitting the homes, named like formulas
    minx, miny, maxx, maxy = homes.total_bounds
    middle = (minx + maxx) / 2
    areas = gpd.GeoDataFrame(
        {"name": AREA_NAMES},
        geometry=[shapely.box(minx - 5, miny - 5, middle, maxy + 5), shapely.box(middle, miny - 5, maxx + 5, maxy + 5)],
        crs=homes.crs,
    ).to_crs("EPSG:4326")
    areas.to_file(folder / "areas.geojson", driver="GeoJSON")
    # a cost matrix whose ids look like formulas
    matrix = pd.DataFrame(
        {"demand_id": ["=d1", "+d2", "-d3"], "site_id": ["=1+1", "@s", "-2+3"], "minutes": [1.0, 2.0, 3.0]}
    )
    matrix.to_csv(folder / "matrix.csv", index=False)
    out = {name: folder / name for name in ("plan", "curve", "optimize")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
        plan_args = ["--existing", str(named), "--areas", str(folder / "areas.geojson"), "--format", "shp"]
        assert main(["plan", *plan_args, "--out", str(out["plan"]), "--quiet"]) == 0
        assert main(["curve", "--candidates", str(named), "--max-p", "2", "--out", str(out["curve"]), "--quiet"]) == 0
        assert main(["score", "--sites", str(named), "--csv", str(folder / "score.csv"), "--quiet"]) == 0
        cost_args = ["--cost-matrix", str(folder / "matrix.csv"), "--radius", "5"]
        assert main(["optimize", *cost_args, "--out", str(out["optimize"]), "-q"]) == 0
    return {
        "stations.csv": out["plan"] / "stations.csv",
        "unreachable.csv": out["plan"] / "unreachable.csv",
        "areas.csv": out["plan"] / "areas.csv",
        "shp/fields.csv": out["plan"] / "shp" / "fields.csv",
        "curve.csv": out["curve"] / "curve.csv",
        "score --csv": folder / "score.csv",
        "selected_sites.csv": out["optimize"] / "selected_sites.csv",
        "stations.xlsx": out["plan"] / "stations.xlsx",
        "folder": folder,
    }


def _rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs, as before
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _cells(path: Path) -> pd.DataFrame:
    """The CSV's cells as the csv module reads them (text, as a spreadsheet gets them)."""
    header, *rows = _rows(path)
    return pd.DataFrame(rows, columns=header)


CSV_OUTPUTS = [
    "stations.csv",
    "unreachable.csv",
    "areas.csv",
    "shp/fields.csv",
    "curve.csv",
    "score --csv",
    "selected_sites.csv",
]


@pytest.mark.parametrize("output", CSV_OUTPUTS)
def test_no_cell_opens_as_a_formula(runs, output):
    rows = _rows(runs[output])
    assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)  # one cell per field: none split
    assert formula_cells(rows) == []


def test_the_names_are_writtenguarded(runs):
    stations = _cells(runs["stations.csv"])
    existing = stations[stations["status"] == "existing"]
    assert list(existing["name"]) == [guarded(n) for n in NAMES]
    areas = _cells(runs["areas.csv"])
    assert list(areas["area"][:2]) == [guarded(n) for n in AREA_NAMES]
    assert set(areas["nearest_station"]) <= {guarded(n) for n in NAMES}
    unreachable = _cells(runs["unreachable.csv"])
    assert (unreachable["nearest_site_name"] == guarded(NAMES[-1])).any()
    ranking = _cells(runs["score --csv"])
    assert sorted(ranking["name"]) == sorted(guarded(n) for n in NAMES)
    curve = _cells(runs["curve.csv"])
    assert curve["names"].iloc[0] in {guarded(n) for n in NAMES}  # p = 1: one site's name
    selected = _cells(runs["selected_sites.csv"])
    assert sorted(selected["site_id"]) == ["'-2+3", "'=1+1", "'@s"]


def test_numbers_stay_numbers(runs):
    stations = pd.read_csv(runs["stations.csv"], encoding="utf-8-sig")
    geo = gpd.read_file(runs["stations.csv"].with_name("stations.geojson"))
    for column in ("lon", "lat", "population_within", "population_assigned", "cost"):
        assert pd.api.types.is_float_dtype(stations[column]), column
    assert np.allclose(stations["lon"], geo.geometry.x) and np.allclose(stations["lat"], geo.geometry.y)
    assert np.allclose(stations["population_assigned"], geo["population_assigned"])
    selected = pd.read_csv(runs["selected_sites.csv"], encoding="utf-8-sig")
    assert pd.api.types.is_float_dtype(selected["population_within"])


def test_csv_text_guards_text_only():
    table = pd.DataFrame(
        {
            "name": ["=1+1", "'Hara", "'=1+1", "-5", "Park\r=1+1", None],
            "minutes": [-1.5, 2.0, np.nan, 4.0, 5.0, 6.0],
            "-x": [1, -2, 3, 4, 5, 6],
        }
    )
    assert csv_text(table) == (
        "name,minutes,'-x\n"
        "'=1+1,-1.5,1\n"
        "'Hara,2.0,-2\n"
        "''=1+1,,3\n"
        "-5,4.0,4\n"  # text that is a number opens as that number: no formula
        '"Park\r=1+1",5.0,5\n'  # quoted: a lone carriage return cannot start a row of its own
        ",6.0,6\n"
    )
    # the format of a table with nothing to guard is pandas' own
    plain = table.iloc[[1]].drop(columns="-x")
    assert csv_text(plain) == plain.to_csv(index=False)


def test_workbook_holds_the_names_as_text(runs):
    sheet = openpyxl.load_workbook(runs["stations.xlsx"])["stations"]
    header = [cell.value for cell in sheet[1]]
    names = [row[header.index("name")] for row in sheet.iter_rows(min_row=2)]
    status = [row[header.index("status")].value for row in sheet.iter_rows(min_row=2)]
    existing = [cell for cell, s in zip(names, status) if s == "existing"]
    assert [cell.value for cell in existing] == NAMES
    assert all(cell.data_type == "s" for cell in existing)  # "=1+1" is no formula
    number = sheet.cell(row=2, column=header.index("lon") + 1)
    assert number.data_type == "n" and isinstance(number.value, float)


def test_workbook_error_codes_stay_text():
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(pd.DataFrame({"=h": ["#N/A", "="]}), "s")))["s"]
    assert [(c.value, c.data_type) for c in sheet["A"]] == [("=h", "s"), ("#N/A", "s"), ("=", "s")]


def test_written_stations_read_back_as_named(runs, helsinki):
    """stations.csv as ``--existing`` (the loader that option calls), and saved from Excel as .xlsx: no apostrophes."""
    again = planner.load_candidates(runs["stations.csv"], existing=True, network=helsinki[0])
    written = pd.read_csv(runs["stations.csv"], encoding="utf-8-sig", dtype={"site_id": str})
    assert list(again["site_id"]) == list(written["site_id"])
    assert list(again["name"][: len(NAMES)]) == NAMES
    # a workbook made from the CSV (cells as a spreadsheet shows them, apostrophes included) reads the same
    book = runs["folder"] / "from_csv.xlsx"
    _cells(runs["stations.csv"]).to_excel(book, index=False)
    assert list(read_points(book, what="existing stations")["name"][: len(NAMES)]) == NAMES


def test_reader_drops_only_the_guard(tmp_path):
    path = tmp_path / "sites.csv"
    names = ["'Hara", "'=1+1", "''=1+1", "'-2+3", "''Hara", "'\tTAB"]
    pd.DataFrame({"lon": 24.94 + 0.001 * np.arange(6), "lat": [60.17] * 6, "name": names}).to_csv(path, index=False)
    read = read_points(path, what="candidate sites")
    assert list(read["name"]) == ["'Hara", "=1+1", "'=1+1", "-2+3", "''Hara", "\tTAB"]
