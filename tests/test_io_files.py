"""The files a Chinese county planner holds, read right or refused with one line.

Every file is written by the test itself into ``tmp_path``: GBK / GB18030 and UTF-8
(BOM or not) CSVs with Chinese headers, Excel workbooks, shapefiles without a
``.cpg``, projected CGCS2000 Gauss-Kruger coordinates and GCJ-02 ("Mars")
coordinates. See :func:`planner.io.read_points`.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from reference import geodesic_m, wgs84_to_gcj02_points
from shapely.geometry import Polygon

from planner.cli import main
from planner.config import COLUMN_ALIASES, ID_ALIASES
from planner.errors import InputError
from planner.io import read_points
from planner.outputs.files import write_outputs

# three stations in a county town on CM 114E (Hubei), WGS-84
NAMES = ["幸福社区服务站", "东门村便民点", "城关镇·综合站"]
LON = np.array([114.301234, 114.312345, 114.298765])
LAT = np.array([30.601234, 30.612345, 30.589876])
POP = [1200, 350, 4875]


def _gbk_csv(path: Path) -> Path:
    rows = [f"{n},{x},{y},{p}" for n, x, y, p in zip(NAMES, LON, LAT, POP)]
    path.write_bytes(("名称,经度,纬度,人口\n" + "\n".join(rows) + "\n").encode("gbk"))
    return path


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text, text
    return text


# ----------------------------------------------------------------- encodings


def test_gbk_csv_with_chinese_headers(tmp_path, caplog):
    p = _gbk_csv(tmp_path / "人口.csv")
    with caplog.at_level(logging.INFO, logger="planner.io"):
        gdf = read_points(p, what="demand", numeric=("population",))
    assert gdf.attrs["encoding"] == "gb18030"
    assert any("gb18030" in r.getMessage() for r in caplog.records)
    assert [n.encode("utf-8") for n in gdf["name"]] == [n.encode("utf-8") for n in NAMES]
    assert gdf["population"].tolist() == [1200.0, 350.0, 4875.0]
    assert gdf.crs.to_epsg() == 4326
    np.testing.assert_allclose(gdf.geometry.x, LON, atol=1e-12)
    np.testing.assert_allclose(gdf.geometry.y, LAT, atol=1e-12)


def test_gb18030_only_characters(tmp_path):
    """Characters outside GBK (a rare place-name character, an emoji) need GB18030's four-byte codes."""
    names = ["䶮村服务站", "站点😀"]
    text = "name,lon,lat\n" + "".join(f"{n},{x},{y}\n" for n, x, y in zip(names, LON, LAT))
    p = tmp_path / "c.csv"
    p.write_bytes(text.encode("gb18030"))
    gdf = read_points(p, what="candidates")
    assert gdf["name"].tolist() == names and gdf.attrs["encoding"] == "gb18030"


@pytest.mark.parametrize("bom", [True, False])
def test_utf8_csv_with_and_without_bom(tmp_path, bom):
    text = "站名,lng,lat,编号\n" + "".join(f"{n},{x},{y},00{i}\n" for i, (n, x, y) in enumerate(zip(NAMES, LON, LAT)))
    p = tmp_path / "c.csv"
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    gdf = read_points(p, what="candidates")
    assert gdf.attrs["encoding"] == ("utf-8-sig" if bom else "utf-8")
    assert list(gdf.columns) == ["name", "site_id", "geometry"]  # no BOM glued to the first header
    assert gdf["name"].tolist() == NAMES
    assert gdf["site_id"].tolist() == ["000", "001", "002"]  # ids keep their leading zeros


def test_mixed_encodings_that_gb18030_would_misread_are_refused(tmp_path):
    """UTF-8 rows (even byte runs) plus one GBK row: GB18030 decodes it all, into mojibake."""
    data = "name,lon,lat\n东门,114.3,30.6\n城关,114.31,30.61\n".encode() + "南街,114.32,30.62\n".encode("gbk")
    assert data.decode("gb18030")  # the trap: no decode error
    p = tmp_path / "mixed.csv"
    p.write_bytes(data)
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates")
    msg = _one_line(exc)
    assert "mixed.csv" in msg and "mixes UTF-8" in msg and "line 4" in msg and "utf-8 and gb18030" in msg


def test_neither_utf8_nor_gb18030(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes(b"lon,lat,population\n114.3,30.6,\x80\x80\n")
    with pytest.raises(InputError) as exc:
        read_points(p, what="demand", numeric=("population",))
    msg = _one_line(exc)
    assert "d.csv" in msg and "not UTF-8 or GB18030" in msg and "line 2" in msg and "utf-8 and gb18030" in msg


# ----------------------------------------------------------------- Excel


def _workbook(path: Path) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        pd.DataFrame({"站名": NAMES, "经度": LON, "纬度": LAT, "编号": ["007", "008", "009"]}).to_excel(
            book, sheet_name="候选点", index=False
        )
        # a second sheet with a title row and a blank row above its header, as people make them
        pd.DataFrame(
            {"小区名称": ["甲小区", "乙小区"], "lon": LON[:2], "lat": LAT[:2], "常住人口": [820, 1460]}
        ).to_excel(book, sheet_name="Sheet2", index=False, startrow=2)
        book.sheets["Sheet2"]["A1"] = "某某县常住人口分布表"
    return path


def test_xlsx_first_sheet(tmp_path):
    p = _workbook(tmp_path / "stations.xlsx")
    gdf = read_points(p, what="candidates")
    assert gdf.attrs["sheet"] == "候选点"
    assert gdf["name"].tolist() == NAMES and gdf["site_id"].tolist() == ["007", "008", "009"]
    np.testing.assert_allclose(gdf.geometry.x, LON, atol=1e-12)
    np.testing.assert_allclose(gdf.geometry.y, LAT, atol=1e-12)


def test_xlsx_named_sheet_below_a_title(tmp_path):
    p = _workbook(tmp_path / "stations.xlsx")
    gdf = read_points(f"{p}#Sheet2", what="demand", numeric=("population",))
    assert gdf.attrs["sheet"] == "Sheet2"
    assert gdf["population"].tolist() == [820.0, 1460.0]
    assert gdf["name"].tolist() == ["甲小区", "乙小区"]  # 小区名称 is a name header
    np.testing.assert_allclose(gdf.geometry.x, LON[:2], atol=1e-12)


def test_xlsx_missing_sheet_lists_the_sheets(tmp_path):
    p = _workbook(tmp_path / "stations.xlsx")
    with pytest.raises(InputError) as exc:
        read_points(f"{p}#人口", what="demand", numeric=("population",))
    msg = _one_line(exc)
    assert "stations.xlsx" in msg and "'人口'" in msg and "found: 候选点, Sheet2" in msg


def test_truncated_xlsx_is_one_line(tmp_path):
    whole = _workbook(tmp_path / "whole.xlsx").read_bytes()
    p = tmp_path / "half.xlsx"
    p.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates")
    msg = _one_line(exc)
    assert "half.xlsx" in msg and "not a readable '.xlsx' workbook" in msg


# ----------------------------------------------------------------- shapefiles


def _stations_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"名称": NAMES, "人口": POP}, geometry=gpd.points_from_xy(LON, LAT), crs="EPSG:4326")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_shapefile_without_cpg(tmp_path, encoding):
    p = tmp_path / "stations.shp"
    _stations_frame().to_file(p, encoding=encoding)
    p.with_suffix(".cpg").unlink()
    assert NAMES[0] not in set(gpd.read_file(p).iloc[:, 0])  # what GDAL alone makes of it: Latin-1 mojibake
    gdf = read_points(p, what="demand", numeric=("population",))
    assert gdf.attrs["encoding"] == ("gb18030" if encoding == "gbk" else "utf-8")
    assert [n.encode("utf-8") for n in gdf["name"]] == [n.encode("utf-8") for n in NAMES]
    assert gdf["population"].tolist() == [float(v) for v in POP]


def test_shapefile_cpg_is_honoured(tmp_path):
    p = tmp_path / "stations.shp"
    _stations_frame().to_file(p, encoding="gbk")
    assert p.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    gdf = read_points(p, what="demand", numeric=("population",))
    assert gdf["name"].tolist() == NAMES and gdf.attrs["encoding"].upper() == "GBK"


def test_shapefile_without_dbf(tmp_path):
    p = tmp_path / "stations.shp"
    _stations_frame().to_file(p)
    p.with_suffix(".dbf").unlink()
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates")
    assert ".dbf" in _one_line(exc) and "stations.shp" in str(exc.value)


# ----------------------------------------------------------------- column aliases


def test_alias_table_is_unambiguous():
    seen: dict[str, str] = {}
    for canonical, headers in COLUMN_ALIASES.items():
        assert canonical in headers
        for h in headers:
            assert h == h.strip().lower(), h
            assert h not in seen, f"{h!r} is both {seen[h]} and {canonical}"
            seen[h] = canonical
    assert not set(ID_ALIASES) & set(seen)
    assert "pop" not in seen and "类型" not in seen


def test_candidates_with_chinese_headers(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        "编号,站名,经度,纬度,造价,级别\nA01,甲,114.30,30.60,12.5,centre\nA02,乙,114.31,30.61,3,grid\n", encoding="utf-8"
    )
    gdf = read_points(p, what="candidates")
    assert gdf.drop(columns="geometry").to_dict("list") == {
        "site_id": ["A01", "A02"],
        "name": ["甲", "乙"],
        "cost": [12.5, 3.0],
        "tier": ["centre", "grid"],
    }


def test_generic_id_is_demand_id_in_demand(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("ID,LON,LAT,常住人口\n001,114.30,30.60,10\n002,114.31,30.61,20\n", encoding="utf-8")
    gdf = read_points(p, what="demand", numeric=("population",))
    assert gdf["demand_id"].tolist() == ["001", "002"] and gdf["population"].tolist() == [10.0, 20.0]


def test_canonical_column_wins_over_aliases(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("name,名称,lon,lat\nA,甲,114.30,30.60\n", encoding="utf-8")
    gdf = read_points(p, what="candidates")
    assert gdf["name"].tolist() == ["A"] and gdf["名称"].tolist() == ["甲"]


def test_explicit_name_and_population_columns(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("name,小区,lon,lat,常住人口,户籍人口\nx,甲小区,114.30,30.60,10,7\n", encoding="utf-8")
    gdf = read_points(p, what="demand", numeric=("population",), name_column="小区", population_column="户籍人口")
    assert gdf["name"].tolist() == ["甲小区"] and gdf["population"].tolist() == [7.0]
    assert gdf["name_original"].tolist() == ["x"]
    with pytest.raises(InputError) as exc:
        read_points(p, what="demand", numeric=("population",), population_column="人数")
    msg = _one_line(exc)
    assert "'人数'" in msg and "population_column" in msg and "found: name, 小区, lon, lat, 常住人口, 户籍人口" in msg


def test_two_population_headers_are_refused(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("lon,lat,常住人口,户籍人口\n114.30,30.60,10,7\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_points(p, what="demand", numeric=("population",))
    msg = _one_line(exc)
    assert "'常住人口' and '户籍人口'" in msg and "population" in msg


def test_repeated_aliased_ids_are_refused(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("编号,lon,lat\n1,114.30,30.60\n2,114.31,30.61\n1,114.32,30.62\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates")
    msg = _one_line(exc)
    assert "'编号'" in msg and "site_id" in msg and "rows 1 and 3" in msg


def test_pop_is_not_population(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("lon,lat,pop\n114.30,30.60,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="'population' missing"):
        read_points(p, what="demand", numeric=("population",))


def test_geojson_attributes_are_aliased(tmp_path):
    p = tmp_path / "d.geojson"
    gpd.GeoDataFrame(
        {"小区名称": ["甲"], "名称": ["甲小区"], "常住人口": [820]},
        geometry=[Polygon([(114.30, 30.60), (114.301, 30.60), (114.301, 30.601)])],
        crs="EPSG:4326",
    ).to_file(p)
    with pytest.warns(UserWarning, match="columns '名称' and '小区名称' could both be name; using '名称'"):
        gdf = read_points(p, what="demand", numeric=("population",))
    assert gdf["name"].tolist() == ["甲小区"] and gdf["population"].tolist() == [820.0]
    assert gdf.geometry.iloc[0].within(Polygon([(114.30, 30.60), (114.301, 30.60), (114.301, 30.601)]))


# ----------------------------------------------------------------- coordinates and CRS


def _projected_csv(path: Path, epsg: int = 4547, swap: bool = False) -> Path:
    x, y = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(LON, LAT)
    if swap:  # Chinese survey convention: X is the northing
        x, y = y, x
    rows = "".join(f"{n},{float(a)!r},{float(b)!r}\n" for n, a, b in zip(NAMES, x, y))
    path.write_text("name,x,y\n" + rows, encoding="utf-8")
    return path


def test_projected_csv_with_its_crs(tmp_path):
    p = _projected_csv(tmp_path / "gk.csv")
    gdf = read_points(p, what="candidates", crs="EPSG:4547")
    np.testing.assert_allclose(gdf.geometry.x, LON, atol=1e-6)
    np.testing.assert_allclose(gdf.geometry.y, LAT, atol=1e-6)
    assert gdf["name"].tolist() == NAMES and gdf.attrs["crs"] == "EPSG:4547"


def test_projected_csv_with_zone_number(tmp_path):
    """3-degree zone 38 (CM 114E) with the zone number in front of the easting: EPSG:4526."""
    p = _projected_csv(tmp_path / "gk.csv", epsg=4526)
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates")
    msg = _one_line(exc)
    assert "look like projected metres" in msg and "--input-crs EPSG:4526" in msg
    gdf = read_points(p, what="candidates", crs="EPSG:4526")
    np.testing.assert_allclose(gdf.geometry.x, LON, atol=1e-6)


def test_projected_csv_without_crs(tmp_path):
    p = _projected_csv(tmp_path / "gk.csv")
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates")
    msg = _one_line(exc)
    assert "gk.csv" in msg and "row 1" in msg and "look like projected metres, not lon/lat" in msg
    assert "--input-crs EPSG:4547" in msg


def test_projected_csv_with_swapped_axes(tmp_path):
    p = _projected_csv(tmp_path / "gk.csv", swap=True)
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates", crs="EPSG:4547")
    msg = _one_line(exc)
    assert "outside its area" in msg and "swapped" in msg


def test_projected_csv_missing_its_zone_number(tmp_path):
    """Eastings without the zone number, read in a CRS whose eastings carry it (zone 38: 38500000 m at CM 114E).

    (A wrong central meridian alone cannot be told from the numbers: every CM's
    eastings are near 500 km. Points put there land far from the streets, which
    the pipeline reports.)
    """
    p = _projected_csv(tmp_path / "gk.csv")
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates", crs="EPSG:4526")
    msg = _one_line(exc)
    assert "gk.csv" in msg and "row 1" in msg and "EPSG:4526" in msg and "outside its area" in msg
    assert "no zone number" in msg and "--input-crs EPSG:4547" in msg


def test_lonlat_csv_given_a_projected_crs(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(f"name,lon,lat\nA,{LON[0]},{LAT[0]}\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_points(p, what="candidates", crs="EPSG:4547")
    msg = _one_line(exc)
    assert "outside its area (lon 112.5..115.5" in msg and "look like lon/lat degrees" in msg


def test_swapped_lonlat_keeps_its_hint(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("name,lon,lat\nA,30.6,114.3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"lon=30\.6, lat=114\.3.*swapped"):
        read_points(p, what="candidates")


needs_datums = pytest.mark.skipif(
    importlib.util.find_spec("planner.io.datums") is None, reason="planner.datums (to_wgs84) is not written yet"
)


@needs_datums
def test_gcj02_csv_comes_back_to_wgs84(tmp_path):
    glon, glat = wgs84_to_gcj02_points(LON, LAT)
    assert (geodesic_m(LON, LAT, glon, glat) > 100).all()  # the shift is real: hundreds of metres
    p = tmp_path / "amap.csv"
    p.write_text(
        "name,lon,lat\n" + "".join(f"{n},{float(a)!r},{float(b)!r}\n" for n, a, b in zip(NAMES, glon, glat)),
        encoding="utf-8",
    )
    gdf = read_points(p, what="candidates", crs="gcj02")
    assert (geodesic_m(LON, LAT, gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()) < 0.01).all()
    gaode = read_points(p, what="candidates", crs="GCJ-02")
    assert gaode.geometry.equals(gdf.geometry)


@needs_datums
def test_gcj02_geojson_saved_as_wgs84_takes_the_given_crs(tmp_path):
    """GCJ-02 points in a file that says WGS-84: the explicit crs wins."""
    glon, glat = wgs84_to_gcj02_points(LON, LAT)
    p = tmp_path / "amap.geojson"
    gpd.GeoDataFrame({"名称": NAMES}, geometry=gpd.points_from_xy(glon, glat), crs="EPSG:4326").to_file(p)
    gdf = read_points(p, what="candidates", crs="gcj02")
    assert (geodesic_m(LON, LAT, gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()) < 0.01).all()
    assert gdf["name"].tolist() == NAMES


def test_declared_projected_crs_is_kept(tmp_path):
    p = tmp_path / "gk.gpkg"
    _stations_frame().to_crs("EPSG:4547").to_file(p)
    with pytest.warns(UserWarning, match="ignored"):
        gdf = read_points(p, what="candidates", crs="gcj02")
    np.testing.assert_allclose(gdf.geometry.x, LON, atol=1e-6)
    np.testing.assert_allclose(gdf.geometry.y, LAT, atol=1e-6)


@pytest.mark.parametrize("suffix", ["gpkg", "geojson"])
def test_declared_cgcs2000_is_kept(tmp_path, suffix):
    """A bureau's file in CGCS2000 (EPSG:4490) is never GCJ-02: a global --input-crs gcj02 moved it ~500 m."""
    p = tmp_path / f"communities.{suffix}"
    frame = _stations_frame().to_crs("EPSG:4490")
    frame.to_file(p)
    assert gpd.read_file(p).crs.to_epsg() == 4490
    with pytest.warns(
        UserWarning, match=r"declares China Geodetic Coordinate System 2000 \(geographic\).*'gcj02' is ignored"
    ):
        gdf = read_points(p, what="demand", crs="gcj02")
    assert (geodesic_m(LON, LAT, gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()) < 0.5).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no input CRS given: read in its own, quietly
        gdf = read_points(p, what="demand")
    assert (geodesic_m(LON, LAT, gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()) < 0.5).all()


def test_geographic_file_holding_metres_takes_the_given_crs(tmp_path):
    p = tmp_path / "wrong_prj.gpkg"
    _stations_frame().to_crs("EPSG:4547").set_crs("EPSG:4326", allow_override=True).to_file(p)
    with pytest.raises(InputError, match="look like projected metres"):
        read_points(p, what="candidates")
    gdf = read_points(p, what="candidates", crs="EPSG:4547")
    np.testing.assert_allclose(gdf.geometry.x, LON, atol=1e-6)


@pytest.mark.parametrize("crs", ["nonsense", "EPSG:999999", "gcj03"])
def test_unknown_crs(tmp_path, crs):
    p = _gbk_csv(tmp_path / "d.csv")
    with pytest.raises(InputError) as exc:
        read_points(p, what="demand", numeric=("population",), crs=crs)
    msg = _one_line(exc)
    assert repr(crs) in msg and "wgs84, gcj02, bd09 or an EPSG code" in msg


# ----------------------------------------------------------------- duplicates


def test_two_points_at_the_same_spot_warn(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(f"name,lon,lat\n甲,{LON[0]},{LAT[0]}\n乙,{LON[1]},{LAT[1]}\n丙,{LON[0]},{LAT[0]}\n", encoding="utf-8")
    with pytest.warns(UserWarning) as record:
        gdf = read_points(p, what="candidates")
    assert len(gdf) == 3
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and "\n" not in messages[0]
    assert "row 1 '甲'" in messages[0] and "row 3 '丙'" in messages[0] and "same spot" in messages[0]


def test_duplicates_without_names_are_named_by_row(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("lon,lat,population\n114.3,30.6,1\n114.3,30.6,2\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"row 1 and row 2 are at the same spot"):
        read_points(p, what="demand", numeric=("population",))


def test_distinct_points_do_not_warn(tmp_path):
    p = _gbk_csv(tmp_path / "d.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_points(p, what="demand", numeric=("population",))


# ----------------------------------------------------------------- writing


def test_csv_outputs_start_with_a_bom(tmp_path):
    table = pd.DataFrame({"name": NAMES, "population": POP})
    paths = write_outputs(
        tmp_path,
        {
            "ranking.csv": table.to_csv(index=False),
            "UPPER.CSV": b"a,b\n1,2\n",
            "again.csv": "\ufeffa\n1\n",
            "summary.json": "{}\n",
        },
    )
    data = {q.name: q.read_bytes() for q in paths}
    assert data["ranking.csv"].startswith(b"\xef\xbb\xbf") and data["UPPER.CSV"].startswith(b"\xef\xbb\xbf")
    assert data["again.csv"] == b"\xef\xbb\xbfa\n1\n"  # never two
    assert data["summary.json"] == b"{}\n"
    assert data["ranking.csv"].decode("utf-8-sig") == table.to_csv(index=False)
    assert pd.read_csv(tmp_path / "ranking.csv").equals(table)
    back = read_points(_write_points(tmp_path), what="candidates")
    assert back.attrs["encoding"] == "utf-8-sig" and back["name"].tolist() == NAMES


def _write_points(folder: Path) -> Path:
    table = pd.DataFrame({"name": NAMES, "lon": LON, "lat": LAT})
    (path,) = write_outputs(folder, {"points.csv": table.to_csv(index=False)})
    return path


def test_cli_csv_output_starts_with_a_bom(tmp_path):
    """``planner optimize`` writes selected_sites.csv through write_outputs: Excel-ready, pandas-readable."""
    cm = tmp_path / "cm.csv"
    cm.write_text("demand_id,site_id,minutes\nh1,站1,3\nh2,站1,4\nh2,站2,2\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["optimize", "--cost-matrix", str(cm), "--radius", "5", "--out", str(out), "-q"]) == 0
    data = (out / "selected_sites.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not data[3:].startswith(b"\xef\xbb\xbf")
    assert "site_id" in pd.read_csv(out / "selected_sites.csv").columns


def test_outputs_of_an_earlier_run_are_named(tmp_path):
    """A folder reused by a run that writes fewer files: the earlier run's areas.csv / shp files are named."""
    owned = ("summary.json", "areas.csv", "unreachable.csv", "shp")
    write_outputs(tmp_path, {"summary.json": "{}", "areas.csv": "a", "shp/x.shp": b"1", "shp/x.dbf": b"2"}, owned)
    with pytest.warns(UserWarning, match=r"areas.csv, shp/x.dbf, shp/x.shp from an earlier run, not written by this"):
        write_outputs(tmp_path, {"summary.json": "{}"}, owned)
    (tmp_path / "mine.csv").write_text("not ours")  # not a name the run writes: never mentioned
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_outputs(tmp_path, {"summary.json": "{}", "areas.csv": "b", "shp/x.shp": b"3", "shp/x.dbf": b"4"}, owned)
