"""Population rasters as demand: totals kept cell by cell, people on the buildings of
their cell, density units, a country-sized raster read through a window, bad rasters."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from conftest import shared_file
from rasterio.transform import from_origin

import planner
from planner.cli import main
from planner.errors import InputError


def write_raster(path, data, transform, crs, nodata=-9999.0, **tags):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[-2],
        width=data.shape[-1],
        count=1 if data.ndim == 2 else data.shape[0],
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data if data.ndim == 3 else data[None])
        if tags:
            dst.update_tags(**tags)
    return path


def area_box(network):
    xy = np.array([(d["x"], d["y"]) for _, d in network.nodes(data=True)])
    return gpd.GeoSeries([shapely.box(*xy.min(axis=0), *xy.max(axis=0))], crs=network.graph["crs"]).to_crs(4326).iloc[0]


def cells_inside(path, area):
    """Independent of planner: every populated cell whose centre lies in ``area`` (row, col, people)."""
    with rasterio.open(path) as src:
        data = src.read(1)
        rows, cols = np.nonzero((data != src.nodata) & np.isfinite(data) & (data > 0))
        xs, ys = rasterio.transform.xy(src.transform, rows, cols, offset="center")
        ll = gpd.GeoSeries(shapely.points(xs, ys), crs=src.crs).to_crs(4326)
        keep = np.array([area.intersects(p) for p in ll])
        return rows[keep], cols[keep], data[rows[keep], cols[keep]].astype(float)


@pytest.fixture(scope="module")
def rasters(helsinki, tmp_path_factory):
    network = helsinki[0]
    folder = tmp_path_factory.mktemp("rasters")
    rng = np.random.default_rng(7)
    wgs = rng.integers(0, 60, (30, 40)).astype("float32")
    wgs[rng.random(wgs.shape) < 0.1] = -9999.0
    p1 = write_raster(folder / "wgs84.tif", wgs, from_origin(24.930, 60.185, 0.001, 0.001), "EPSG:4326")
    utm = rng.random((25, 22)).astype("float32") * 80
    utm[3, 4] = -5.0  # negative cells are skipped
    p2 = write_raster(folder / "utm.tif", utm, from_origin(384800, 6673400, 100, 100), "EPSG:32635")
    return network, folder, p1, p2


@pytest.mark.parametrize("which", ["wgs84", "utm"])
@pytest.mark.parametrize("mode", ["cells", "buildings"])
def test_totals_kept_cell_by_cell(rasters, which, mode):
    network, _, p1, p2 = rasters
    path = p1 if which == "wgs84" else p2
    homes = planner.load_demand(path, network=network, raster_mode=mode)
    rows, cols, people = cells_inside(path, area_box(network))
    assert homes["population"].sum() == pytest.approx(people.sum(), rel=1e-6)
    assert set(homes["method"]) == {"raster"}
    info = homes.attrs["raster"]
    assert info["population"] == pytest.approx(people.sum(), rel=1e-6) and info["cells"] == len(rows)
    # every cell's people, summed over its homes
    cell = homes["demand_id"].str.extract(r"^(r\d+-\d+)")[0]
    got = homes.groupby(cell)["population"].sum()
    want = {f"r{r}-{c}": v for r, c, v in zip(rows, cols, people)}
    assert set(got.index) == set(want)
    assert np.allclose([got[k] for k in want], list(want.values()), rtol=1e-9)
    if mode == "buildings":
        built = homes[homes["kind"] == "building"]
        assert len(built) > 20
        with rasterio.open(path) as src:
            xy = shapely.get_coordinates(built.to_crs(src.crs).geometry.values)
            r, c = rasterio.transform.rowcol(src.transform, xy[:, 0], xy[:, 1])
        assert [f"r{a}-{b}" for a, b in zip(r, c)] == list(cell[built.index])  # each building in its own cell
    else:
        assert set(homes["kind"]) == {"cell"}


def test_density_units_from_the_metadata(rasters):
    network, folder, _, _ = rasters
    data = np.full((25, 22), 5000.0, dtype="float32")  # people per km2 on 100 m cells: 50 per cell
    path = write_raster(
        folder / "density.tif", data, from_origin(384800, 6673400, 100, 100), "EPSG:32635", units="people per km2"
    )
    homes = planner.load_demand(path, network=network, raster_mode="cells")
    rows, _, people = cells_inside(path, area_box(network))
    assert homes.attrs["raster"]["units"] == "density"
    assert homes["population"].sum() == pytest.approx(50.0 * len(rows), rel=1e-6)
    forced = planner.load_demand(path, network=network, raster_mode="cells", raster_units="count")
    assert forced["population"].sum() == pytest.approx(people.sum(), rel=1e-6)


COUNTRY = r"""
import resource, sys, time
import planner
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
G = planner.load_network()
before = hwm()
t = time.perf_counter()
homes = planner.load_demand(sys.argv[1], network=G, raster_mode="cells")
print(time.perf_counter() - t, hwm(), hwm() - before, homes["population"].sum())
"""


def test_country_sized_raster_is_read_through_a_window(rasters, tmp_path):
    """40,000 x 40,000 cells (0.0045 degree, a sixth of the globe), nodata but for a patch over Helsinki."""
    network, _, _, _ = rasters
    path = tmp_path / "country.tif"
    transform = from_origin(0.0, 90.0, 0.0045, 0.0045)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=40_000,
        width=40_000,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=-1.0,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        SPARSE_OK="TRUE",
    ) as dst:
        row, col = rasterio.transform.rowcol(transform, 24.93, 60.18)
        patch = np.full((10, 10), 12.5, dtype="float32")
        dst.write(patch, 1, window=rasterio.windows.Window(col, row, 10, 10))
    assert path.stat().st_size < 5e6  # written sparsely: 1.6 billion cells, nearly all absent
    out = subprocess.run([sys.executable, "-c", COUNTRY, str(path)], capture_output=True, text=True, check=True)
    _, peak_mb, growth_mb, people = map(float, out.stdout.split())  # seconds: in the closing note, not timed here
    assert peak_mb < 500 and growth_mb < 100, (peak_mb, growth_mb)
    _, _, cell_people = cells_inside_window(path, area_box(network))
    assert people == pytest.approx(cell_people, rel=1e-6) and people > 0


def cells_inside_window(path, area):
    with rasterio.open(path) as src:
        window = rasterio.windows.from_bounds(*area.bounds, transform=src.transform)
        window = rasterio.windows.Window(
            int(window.col_off) - 1, int(window.row_off) - 1, int(window.width) + 3, int(window.height) + 3
        )
        data = src.read(1, window=window)
        transform = src.window_transform(window)
        rows, cols = np.nonzero(data > 0)
        xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
        keep = np.array([area.intersects(shapely.Point(x, y)) for x, y in zip(xs, ys)])
        return rows[keep], cols[keep], float(data[rows[keep], cols[keep]].sum())


def _bad(folder, case):
    if case == "bands":
        data = np.ones((2, 5, 5), dtype="float32")
        return write_raster(folder / "two.tif", data, from_origin(24.93, 60.18, 0.001, 0.001), "EPSG:4326"), [
            "2 bands",
            "--raster-band",
        ]
    if case == "no crs":
        with pytest.warns(rasterio.errors.NotGeoreferencedWarning):  # rasterio's note on the file made without one
            with rasterio.open(
                folder / "nocrs.tif", "w", driver="GTiff", height=5, width=5, count=1, dtype="float32"
            ) as d:
                d.write(np.ones((1, 5, 5), dtype="float32"))
        return folder / "nocrs.tif", ["no CRS"]
    if case == "elsewhere":
        return write_raster(
            folder / "far.tif", np.ones((5, 5), dtype="float32"), from_origin(100.0, 10.0, 0.01, 0.01), "EPSG:4326"
        ), ["does not cover"]
    path = folder / "corrupt.tif"
    path.write_bytes(b"II*\x00" + b"\x00" * 40)
    return path, ["not a readable raster"]


@pytest.mark.parametrize("case", ["bands", "no crs", "elsewhere", "corrupt"])
def test_bad_rasters_are_one_line(rasters, tmp_path, capsys, monkeypatch, case):
    network = rasters[0]
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    path, words = _bad(tmp_path, case)
    out = tmp_path / "out"
    code = main(["plan", "--demand", str(path), "--out", str(out), "-q"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code != 0 and not out.exists()
    assert len(err) == 1 and all(w in err[0] for w in words), err


def test_plan_reports_the_raster(rasters, tmp_path, monkeypatch):
    network, _, p1, _ = rasters
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    out = tmp_path / "out"
    assert main(["plan", "--demand", str(p1), "--raster-mode", "cells", "--out", str(out), "-q"]) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    _, _, people = cells_inside(p1, area_box(network))
    assert s["demand_method"] == "raster (cells)" and s["raster"]["name"] == "wgs84.tif"
    assert s["raster"]["resolution"] == [0.001, 0.001] and s["raster"]["placement"] == "cells"
    assert s["population_total"] == pytest.approx(people.sum(), abs=0.1)
    assert s["raster"]["population_outside"] > 0
    with pytest.raises(InputError, match="raster_mode='everywhere'"):
        planner.load_demand(p1, network=network, raster_mode="everywhere")


@pytest.mark.slow
# rasterio (1.4)'s own window code under affine 3.0, warned again from pytest.warns below, where the module is lost
@pytest.mark.filterwarnings("ignore:Use `@` matmul instead of:PendingDeprecationWarning")
def test_guixi_rasters_in_wgs84_and_cgcs2000(tmp_path):
    """A WorldPop-like 100 m grid over Guixi, in WGS-84 and in CGCS2000 Gauss-Kruger (EPSG:4547)."""
    G = planner.load_network(str(shared_file("guixi_jiangxi.osm")))
    area = area_box(G)
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = area.bounds
    n_x, n_y = int((x1 - x0) / 0.001) + 4, int((y1 - y0) / 0.001) + 4
    data = (rng.random((n_y, n_x)) * 30).astype("float32")
    p1 = write_raster(tmp_path / "gx.tif", data, from_origin(x0 - 0.002, y1 + 0.002, 0.001, 0.001), "EPSG:4326")
    box = gpd.GeoSeries([area], crs=4326).to_crs("EPSG:4547").total_bounds
    n_x2, n_y2 = int((box[2] - box[0]) / 100) + 4, int((box[3] - box[1]) / 100) + 4
    data2 = (rng.random((n_y2, n_x2)) * 30).astype("float32")
    p2 = write_raster(tmp_path / "gx_4547.tif", data2, from_origin(box[0] - 200, box[3] + 200, 100, 100), "EPSG:4547")
    for path in (p1, p2):
        for mode in ("buildings", "cells"):
            with pytest.warns(UserWarning, match="farther than 250 m from the walking network; kept"):
                homes = planner.load_demand(path, network=G, raster_mode=mode)
            _, _, people = cells_inside(path, area)
            assert homes["population"].sum() == pytest.approx(people.sum(), rel=1e-6), (path.name, mode)


def test_score_and_curve_take_raster_options(rasters, tmp_path, monkeypatch):
    network, _, p1, _ = rasters
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    _, _, people = cells_inside(p1, area_box(network))
    ranking = planner.score(planner.Study(demand=p1, network=network, raster_mode="cells"))
    assert ranking["population_15min"].max() <= people.sum() + 1e-6
    out = tmp_path / "curve"
    assert main(["curve", "--demand", str(p1), "--raster-mode", "cells", "--max-p", "2", "--out", str(out), "-q"]) == 0
    assert (out / "curve.csv").exists()
    csv = tmp_path / "rank.csv"
    assert main(["score", "--demand", str(p1), "--raster-units", "count", "--csv", str(csv), "-q"]) == 0
    assert csv.exists()
