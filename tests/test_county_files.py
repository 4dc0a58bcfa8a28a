"""A county planner's own files on the Guixi extract (skipped without ../shared).

Station coordinates copied from Amap are GCJ-02 and from Baidu BD-09: read with
``--input-crs`` they must give the same plan as the WGS-84 originals; read as
WGS-84 they must trigger a warning naming the option. The forward formulas
used to make the test files are the test's own (tests/test_datums.py).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import shared_file
from reference import gcj02_to_bd09, geodesic_m, wgs84_to_gcj02

import planner
from planner.cli import main
from planner.io import datums

pytestmark = [
    pytest.mark.slow,
    # the planner's warnings on Guixi, printed by the CLI as "warning:" lines on every run that is not
    # --quiet (the tests that read them say so): OpenStreetMap maps few homes and candidate places there,
    # and some homes away from the walkable streets
    pytest.mark.filterwarnings("always:.* OpenStreetMap maps few homes here:UserWarning"),
    pytest.mark.filterwarnings("always:.* OpenStreetMap gives only .* candidate places:UserWarning"),
    pytest.mark.filterwarnings("always:demand.* are farther than 250 m from the walking network; kept:UserWarning"),
]


@pytest.fixture(scope="module")
def guixi(tmp_path_factory):
    """Guixi's network, and WGS-84 candidate and existing-station files near its streets (seeded)."""
    path = shared_file("guixi_jiangxi.osm")
    G = planner.load_network(str(path))
    rng = np.random.default_rng(11)
    lines = [d["geometry"] for _, _, d in G.edges(data=True)]
    picks = rng.choice(len(lines), 45, replace=False)
    pts = [shapely.line_interpolate_point(lines[i], rng.random(), normalized=True) for i in picks]
    xy = shapely.get_coordinates(pts) + rng.uniform(-30, 30, (45, 2))
    ll = gpd.GeoSeries(shapely.points(xy), crs=G.graph["crs"]).to_crs("EPSG:4326")
    lon, lat = ll.x.to_numpy(), ll.y.to_numpy()
    folder = tmp_path_factory.mktemp("guixi")
    names = [f"候选点{i:02d}" for i in range(40)] + [f"现有网格站{i}" for i in range(5)]
    table = pd.DataFrame({"name": names, "lon": lon, "lat": lat})
    return G, path, folder, table


def write(folder, table, datum):
    """Candidates (40) and existing stations (5) in ``datum``; returns the two paths."""
    t = table.copy()
    if datum != "wgs84":
        pairs = [wgs84_to_gcj02(a, b) for a, b in zip(t["lon"], t["lat"])]
        if datum == "bd09":
            pairs = [gcj02_to_bd09(a, b) for a, b in pairs]
        t["lon"], t["lat"] = [p[0] for p in pairs], [p[1] for p in pairs]
    cands, ex = folder / f"candidates_{datum}.csv", folder / f"existing_{datum}.csv"
    t.iloc[:40].to_csv(cands, index=False, float_format="%.9f")
    t.iloc[40:].to_csv(ex, index=False, float_format="%.9f")
    return cands, ex


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_points_read_back_within_a_centimetre(guixi, datum):
    G, _, folder, table = guixi
    cands, _ = write(folder, table, datum)
    sites = planner.load_candidates(cands, network=G, crs=datum).to_crs("EPSG:4326")
    back = sites.set_index("name").loc[table["name"].iloc[:40]]
    dist = geodesic_m(
        back.geometry.x.to_numpy(),
        back.geometry.y.to_numpy(),
        table["lon"].iloc[:40].to_numpy(),
        table["lat"].iloc[:40].to_numpy(),
    )
    assert dist.max() < 0.01


def plan_files(G, path, cands, ex, out, *extra):
    assert (
        main(
            [
                "plan",
                "--source",
                str(path),
                "--candidates",
                str(cands),
                "--existing",
                str(ex),
                "--out",
                str(out),
                *extra,
            ]
        )
        == 0
    )
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    stations = gpd.read_file(out / "stations.geojson")
    # in China the station table gives Amap's GCJ-02 coordinates beside WGS-84
    table = pd.read_csv(out / "stations.csv", encoding="utf-8-sig")
    glon, glat = datums.wgs84_to_gcj02(table["lon"].to_numpy(), table["lat"].to_numpy())
    assert np.allclose(table["gcj02_lon"], glon, atol=2e-7) and np.allclose(table["gcj02_lat"], glat, atol=2e-7)
    assert ((table["gcj02_lon"] - table["lon"]).abs() > 1e-4).all()  # Guixi: hundreds of metres apart
    return s, sorted(stations["name"])


# the planner's warning that the test reads; and, read 500 m off, some candidates and existing stations
# are beyond the snapping distance
@pytest.mark.filterwarnings("always:.* sit much closer to the streets read as GCJ-02:UserWarning")
@pytest.mark.filterwarnings("always:.* are farther than 250 m from the walking network and were left out:UserWarning")
def test_gcj02_files_give_the_wgs84_plan(guixi, tmp_path, capsys):
    G, path, folder, table = guixi
    s0, names0 = plan_files(G, path, *write(folder, table, "wgs84"), tmp_path / "wgs84", "-q")
    s1, names1 = plan_files(G, path, *write(folder, table, "gcj02"), tmp_path / "gcj02", "--input-crs", "gcj02", "-q")
    assert names1 == names0 and len(names0) > 3
    assert s1["population_covered"] == pytest.approx(s0["population_covered"])
    assert s1["n_existing"] == s0["n_existing"] == 5
    # the same files per file, mixed datums
    _s2, names2 = plan_files(
        G,
        path,
        *write(folder, table, "bd09")[:1],
        write(folder, table, "gcj02")[1],
        tmp_path / "mixed",
        "--input-crs",
        "candidates=bd09",
        "--input-crs",
        "existing=gcj02",
        "-q",
    )
    assert names2 == names0
    # GCJ-02 files taken as WGS-84: a warning naming the file and the option
    capsys.readouterr()
    plan_files(G, path, *write(folder, table, "gcj02"), tmp_path / "as-wgs84")
    err = capsys.readouterr().err
    assert "candidates_gcj02.csv" in err and "--input-crs candidates=gcj02" in err
    assert "--input-crs existing=gcj02" in err
    # planner score reads its shortlist as --sites: the hint names the key that command takes
    cands = write(folder, table, "gcj02")[0]
    assert main(["score", "--source", str(path), "--sites", str(cands), "--csv", str(tmp_path / "r.csv")]) == 0
    err = capsys.readouterr().err
    assert "--input-crs sites=gcj02" in err and "candidates=gcj02" not in err


def test_unknown_input_crs_is_one_line(guixi, tmp_path, capsys):
    _G, path, folder, table = guixi
    cands, _ex = write(folder, table, "wgs84")
    code = main(
        [
            "plan",
            "--source",
            str(path),
            "--candidates",
            str(cands),
            "--input-crs",
            "candidates=wgs85",
            "--out",
            str(tmp_path / "x"),
            "-q",
        ]
    )
    assert code != 0 and not (tmp_path / "x").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wgs85" in err[0]
    code = main(["plan", "--source", str(path), "--input-crs", "stations=gcj02", "--out", str(tmp_path / "y"), "-q"])
    assert code == 2 and not (tmp_path / "y").exists()


def test_thin_osm_is_said(guixi, tmp_path, capsys):
    _G, path, folder, table = guixi
    assert main(["plan", "--source", str(path), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "maps few homes here" in err and "--demand" in err
    assert "only 3 candidate places along 115 km of streets" in err and "--candidates" in err
    # with the planner's own candidates, nothing is said about candidates
    cands, _ex = write(folder, table, "wgs84")
    assert main(["plan", "--source", str(path), "--candidates", str(cands), "--out", str(tmp_path / "p")]) == 0
    err = capsys.readouterr().err
    assert "candidate places" not in err and "maps few homes here" in err


def test_tiers_from_a_chinese_candidate_list(guixi, tmp_path, capsys):
    """层级 column in Chinese: centre-only, grid-only and either; --max-centres 5; labels in zh and en."""
    _G, path, folder, table = guixi
    t = table.iloc[:40].copy()
    i = np.arange(40)
    t["层级"] = np.where(i % 4 == 0, "网格站", np.where(i % 4 == 1, "社区党群服务中心", "均可"))
    t = t.rename(columns={"name": "名称", "lon": "经度", "lat": "纬度"})
    cands = folder / "tiers.csv"
    t.to_csv(cands, index=False, encoding="gbk")
    want = dict(zip(t["名称"], np.where(i % 4 == 0, "grid", np.where(i % 4 == 1, "centre", "any"))))
    runs = {}
    for lang in ("zh", "en"):
        out = tmp_path / lang
        assert (
            main(
                [
                    "plan",
                    "--source",
                    str(path),
                    "--candidates",
                    str(cands),
                    "--tiers",
                    "--tier-minutes",
                    "30",
                    "--max-centres",
                    "5",
                    "--lang",
                    lang,
                    "--out",
                    str(out),
                    "-q",
                ]
            )
            == 0
        )
        s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        st = gpd.read_file(out / "stations.geojson")
        assert s["n_centres"] <= 5 and s["max_centres"] == 5 and s["n_centres"] == (st["tier"] == "centre").sum()
        assert set(st["tier"]) <= {"centre", "grid"} and len(st) == s["n_stations"]
        for name, tier in zip(st["name"], st["tier"]):
            assert want[name] in (tier, "any"), (name, tier)
        runs[lang] = (s, st, (out / "plan.html").read_text(encoding="utf-8"))
    assert list(runs["zh"][1]["name"]) == list(runs["en"][1]["name"])
    labels = {
        "zh": ("拟建社区党群服务中心", "拟建网格站"),
        "en": ("Proposed community centre", "Proposed grid station"),
    }
    for lang, (_s, st, page) in runs.items():
        centre, grid = labels[lang]
        for name, tier in zip(st["name"], st["tier"]):
            assert f"{centre if tier == 'centre' else grid}: {name}" in page, (lang, name, tier)
        if lang == "zh":
            for name in st.loc[st["tier"] == "centre", "name"]:
                assert f"网格站: {name}" not in page
    # a cap below the fewest centres: one line naming homes, nothing written
    capsys.readouterr()
    out = tmp_path / "low"
    assert (
        main(
            [
                "plan",
                "--source",
                str(path),
                "--candidates",
                str(cands),
                "--tiers",
                "--tier-minutes",
                "30",
                "--max-centres",
                "2",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 1
    )
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip() and not line.startswith("warning")]
    assert len(err) == 1 and "max_centres=2" in err[0] and "'b-way-" in err[0] and not out.exists()


def test_census_areas_spread_and_tabled(guixi, tmp_path):
    """社区 boundaries with census counts in CGCS2000 (a GBK shapefile without .cpg): totals kept,
    every area in areas.csv by name, each share re-derived from the plan's own matrix."""
    G, path, folder, table = guixi
    crs = G.graph["crs"]
    nodes = np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)])
    minx, miny = nodes.min(axis=0)
    maxx, maxy = nodes.max(axis=0)
    xs, ys = np.linspace(minx, maxx, 5), np.linspace(miny, maxy, 3)
    polys = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(4) for j in range(2)]
    names = ["东门社区", "西门社区", "南门社区", "北门社区", "城中社区", "江滨社区", "花园社区", "新区社区"]
    census = [12500.0, 11300.0, 8200.0, 9100.0, 4300.0, 7600.0, 3900.0, 5100.0]
    areas = gpd.GeoDataFrame({"社区名称": names, "常住人口": census}, geometry=polys, crs=crs).to_crs("EPSG:4547")
    shp = folder / "census.shp"
    areas.to_file(shp, encoding="gbk")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    cands, ex = write(folder, table, "wgs84")
    out = tmp_path / "out"
    assert (
        main(
            [
                "plan",
                "--source",
                str(path),
                "--demand",
                str(shp),
                "--candidates",
                str(cands),
                "--existing",
                str(ex),
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["population_total"] == pytest.approx(sum(census), abs=0.05)
    assert s["demand_method"] == "areas" and s["n_areas"] == 8
    t = pd.read_csv(out / "areas.csv", encoding="utf-8-sig")
    assert list(t["area"]) == names
    assert t["population"].to_numpy() == pytest.approx(census, abs=0.05)
    # re-derived: the plan's homes assigned to the file's polygons here, covered when a station of
    # stations.geojson is within 5 minutes in the plan's coverage matrix
    with pytest.warns(UserWarning, match=r"demand: [\d,]+ of [\d,]+ points .* are farther than 250 m .*; kept"):
        result = planner.plan(planner.Study(source=str(path), demand=shp, candidates=cands, existing=ex, network=G))
    chosen = gpd.read_file(out / "stations.geojson")
    cols = np.flatnonzero(result.sites["site_id"].isin(chosen["site_id"]).to_numpy())
    m = result.coverage.minutes.tocsc()[:, cols].tocsr()
    covered = np.array([(m.data[m.indptr[i] : m.indptr[i + 1]] <= 5.0).any() for i in range(m.shape[0])])
    local = areas.to_crs(crs)
    shares = []
    for name, poly in zip(local["社区名称"], local.geometry):
        mine = result.demand.geometry.within(poly.buffer(1e-6)).to_numpy()
        pop = result.demand["population"].to_numpy()[mine]
        row = t.set_index("area").loc[name]
        assert pop.sum() == pytest.approx(row["population"], abs=0.1)
        shares.append(pop[covered[mine]].sum() / pop.sum())
        assert shares[-1] == pytest.approx(row["covered_share"], abs=1e-4), name
    # no community is all-or-nothing: at least one is partly covered
    assert any(0.0 < x < 1.0 for x in shares)


@pytest.mark.parametrize("fmt", ["gbk.csv", "xlsx", "gbk.shp"])
def test_names_travel_byte_for_byte(guixi, tmp_path, fmt):
    """Existing stations from Chinese Excel / GBK files: every name exactly as written, in stations.geojson."""
    _G, path, folder, table = guixi
    names = ["东门社区党群服务中心", "西门·网格站（二）", "物业用房 3#", "花园 & <广场>", "江滨社区"]
    t = pd.DataFrame(
        {"名称": names, "经度": table["lon"].iloc[40:].to_numpy(), "纬度": table["lat"].iloc[40:].to_numpy()}
    )
    if fmt == "gbk.csv":
        f = tmp_path / "existing.csv"
        f.write_bytes(t.to_csv(index=False).encode("gbk"))
    elif fmt == "xlsx":
        f = tmp_path / "existing.xlsx"
        t.to_excel(f, index=False)
    else:
        f = tmp_path / "existing.shp"
        gdf = gpd.GeoDataFrame({"名称": names}, geometry=gpd.points_from_xy(t["经度"], t["纬度"]), crs="EPSG:4326")
        gdf.to_file(f, encoding="gbk")
        f.with_suffix(".cpg").unlink(missing_ok=True)
    cands, _ = write(folder, table, "wgs84")
    out = tmp_path / "out"
    assert (
        main(["plan", "--source", str(path), "--candidates", str(cands), "--existing", str(f), "--out", str(out), "-q"])
        == 0
    )
    st = json.loads((out / "stations.geojson").read_text(encoding="utf-8"))
    got = sorted(feat["properties"]["name"] for feat in st["features"] if feat["properties"]["existing"])
    assert got == sorted(names)


# the planner's warning that the test reads; read 500 m off, some points are beyond the snapping distance
@pytest.mark.filterwarnings("always:.* sit much closer to the streets as written:UserWarning")
@pytest.mark.filterwarnings("always:.* are farther than 250 m from the walking network and were left out:UserWarning")
def test_wgs84_files_declared_gcj02_are_said(guixi, tmp_path, capsys):
    """WGS-84 points declared GCJ-02 were moved ~500 m unsaid (sites dropped, coverage 1,014 -> 708): a warning."""
    _G, path, folder, table = guixi
    cands, ex = write(folder, table, "wgs84")
    out = tmp_path / "declared"
    code = main(
        [
            "plan",
            "--source",
            str(path),
            "--candidates",
            str(cands),
            "--existing",
            str(ex),
            "--input-crs",
            "candidates=gcj02",
            "--out",
            str(out),
        ]
    )  # not -q: warnings show
    assert code == 0
    err = capsys.readouterr().err
    assert "candidates_wgs84.csv" in err and "drop --input-crs candidates=gcj02" in err
    assert "existing_wgs84.csv" not in err  # read as WGS-84, as declared by default: nothing to say
    # GCJ-02 files declared GCJ-02: quiet
    cands, ex = write(folder, table, "gcj02")
    assert (
        main(
            [
                "plan",
                "--source",
                str(path),
                "--candidates",
                str(cands),
                "--existing",
                str(ex),
                "--input-crs",
                "gcj02",
                "--out",
                str(tmp_path / "right"),
            ]
        )
        == 0
    )
    assert "as written" not in capsys.readouterr().err
