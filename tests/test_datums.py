"""China's map datums (planner.datums): WGS-84 <-> GCJ-02 <-> BD-09."""

from __future__ import annotations

import numpy as np
import pytest
from reference import gcj02_to_bd09 as ref_gcj02_to_bd09
from reference import geodesic_m
from reference import wgs84_to_gcj02 as ref_wgs84_to_gcj02

from planner.errors import InputError
from planner.io import datums
from planner.io.datums import (
    CHINA_BBOX,
    DATUMS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

FUNCTIONS = [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84]
TIANANMEN = (116.391275, 39.906217)  # WGS-84
GUIXI = (117.21, 28.29)  # Guixi, Jiangxi
HELSINKI = (24.9384, 60.1699)
PORTO = (-8.6291, 41.1579)


def _china_points(n: int = 10_000, seed: int = 20240611) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(73.7, 134.9, n), rng.uniform(18.0, 53.5, n)


def _guixi_points(n: int = 10_000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return GUIXI[0] + rng.uniform(-0.15, 0.15, n), GUIXI[1] + rng.uniform(-0.15, 0.15, n)


def _grid(n: int = 2_000, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(73.7, 134.9, n), rng.uniform(18.0, 53.5, n)


def test_forward_gcj02_matches_independent_formula():
    lon, lat = _grid()
    want = np.array([ref_wgs84_to_gcj02(a, b) for a, b in zip(lon, lat)])
    got_lon, got_lat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-12)
    assert np.all(np.hypot(got_lon - lon, got_lat - lat) > 1e-4)  # the check is not vacuous: every point moved


def test_forward_bd09_matches_independent_formula():
    lon, lat = _grid(seed=12)
    want = np.array([ref_gcj02_to_bd09(a, b) for a, b in zip(lon, lat)])
    got_lon, got_lat = gcj02_to_bd09(lon, lat)
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-12)
    # and the composition is the two steps
    wlon, wlat = wgs84_to_bd09(lon, lat)
    two = np.array([ref_gcj02_to_bd09(*ref_wgs84_to_gcj02(a, b)) for a, b in zip(lon, lat)])
    np.testing.assert_allclose(wlon, two[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(wlat, two[:, 1], rtol=0, atol=1e-12)


def test_maps_uses_this_module():
    from planner.outputs import maps

    assert maps.wgs84_to_gcj02 is datums.wgs84_to_gcj02


# ----------------------------------------------------------------- published reference values


def test_tiananmen_shift():
    lon, lat = wgs84_to_gcj02(*TIANANMEN)
    assert float(lon) - TIANANMEN[0] == pytest.approx(0.00624, abs=1e-5)
    assert float(lat) - TIANANMEN[1] == pytest.approx(0.00140, abs=1e-5)
    # and back
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    assert float(geodesic_m(wlon, wlat, *TIANANMEN)) < 1e-3


def test_published_examples():
    # wandergis/coordtransform's README examples (all three from the point 116.404, 39.915)
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
    # the published BD-09 -> GCJ-02 approximation; ours refines it by a few cm
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    approx = (116.39762729119315, 39.90865673957631)
    gap = float(geodesic_m(lon, lat, *approx))
    assert 1e-3 < gap < 0.5
    # Beijing railway station, GCJ-02 (116.42703, 39.90245) = BD-09 (116.43351, 39.90851), to 5 decimals
    lon, lat = gcj02_to_bd09(116.42703, 39.90245)
    assert (float(lon), float(lat)) == pytest.approx((116.43351, 39.90851), abs=1e-5)
    lon, lat = bd09_to_gcj02(116.43351, 39.90851)
    assert (float(lon), float(lat)) == pytest.approx((116.42703, 39.90245), abs=1e-5)


# ----------------------------------------------------------------- round trips


@pytest.mark.parametrize("points", [_china_points, _guixi_points], ids=["china", "guixi"])
def test_gcj02_round_trip(points):
    lon, lat = points()
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    err = geodesic_m(lon, lat, back_lon, back_lat)
    assert err.max() < 0.01
    assert err.max() < 1e-3
    # the inverse really undoes a shift of hundreds of metres
    assert geodesic_m(lon, lat, *wgs84_to_gcj02(lon, lat)).min() > 10


@pytest.mark.parametrize("points", [_china_points, _guixi_points], ids=["china", "guixi"])
def test_bd09_round_trip(points):
    lon, lat = points()
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    err = geodesic_m(lon, lat, back_lon, back_lat)
    assert err.max() < 0.01
    assert err.max() < 1e-3
    # the GCJ-02 <-> BD-09 step alone, too
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert geodesic_m(lon, lat, back_lon, back_lat).max() < 1e-3


def test_inverse_is_exact_against_forward():
    """The inverses map back onto their input through the forward formula (not just near it)."""
    lon, lat = _guixi_points(2_000, seed=3)
    f_lon, f_lat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert geodesic_m(lon, lat, f_lon, f_lat).max() < 1e-3
    f_lon, f_lat = gcj02_to_bd09(*bd09_to_gcj02(lon, lat))
    assert geodesic_m(lon, lat, f_lon, f_lat).max() < 1e-3


def test_published_bd09_inverse_is_worse_than_ours():
    lon, lat = _china_points(2_000, seed=5)
    blon, blat = gcj02_to_bd09(lon, lat)
    published = datums._bd_inverse_published(blon, blat)
    assert geodesic_m(lon, lat, *published).max() > 0.01  # the published formula is cm-to-dm off
    assert geodesic_m(lon, lat, *bd09_to_gcj02(blon, blat)).max() < 1e-3


def test_gcj02_round_trip_up_to_the_box_edges():
    """Points just inside the box whose GCJ-02 position falls just outside it still come back."""
    west, south, east, north = CHINA_BBOX
    rng = np.random.default_rng(9)
    n = 500
    lon = np.concatenate([np.full(n, east - 1e-4), np.full(n, west + 1e-4), rng.uniform(west, east, 2 * n)])
    lat = np.concatenate([rng.uniform(south, north, 2 * n), np.full(n, north - 1e-4), np.full(n, south + 1e-4)])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert not in_china(glon, glat).all()  # some did leave the box
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert geodesic_m(lon, lat, back_lon, back_lat).max() < 1e-3


# ----------------------------------------------------------------- outside China


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_outside_china_unchanged(func):
    pts = np.array([HELSINKI, PORTO, (-74.006, 40.7128), (151.2093, -33.8688)])
    lon, lat = func(pts[:, 0], pts[:, 1])
    assert np.array_equal(lon, pts[:, 0]) and np.array_equal(lat, pts[:, 1])
    lon, lat = func(*HELSINKI)
    assert (float(lon), float(lat)) == HELSINKI


def test_in_china():
    assert in_china(*GUIXI) and in_china(*TIANANMEN)
    assert not in_china(*HELSINKI) and not in_china(*PORTO)
    assert in_china([100.0, 10.0, np.nan], [30.0, 30.0, 30.0]).tolist() == [True, False, False]
    assert CHINA_BBOX == (72.004, 0.8293, 137.8347, 55.8271)


# ----------------------------------------------------------------- shift sizes


CITIES = {  # WGS-84
    "Beijing": TIANANMEN,
    "Shanghai": (121.4737, 31.2304),
    "Guangzhou": (113.2644, 23.1291),
    "Chengdu": (104.0665, 30.5728),
    "Urumqi": (87.6168, 43.8256),
    "Lhasa": (91.1409, 29.6456),
    "Harbin": (126.535, 45.8038),
    "Guixi": GUIXI,
    "Xining": (101.7782, 36.6171),
    "Kunming": (102.8329, 24.8801),
}


def test_shift_sizes():
    lon, lat = np.array(list(CITIES.values())).T
    gcj = geodesic_m(lon, lat, *wgs84_to_gcj02(lon, lat))
    bd = geodesic_m(lon, lat, *wgs84_to_bd09(lon, lat))
    assert np.all((gcj > 100) & (gcj < 1000)), dict(zip(CITIES, gcj.round()))
    assert np.all(bd > gcj), dict(zip(CITIES, bd.round()))
    assert np.all(bd < 2000)
    # over the whole box: never 1 km, mostly hundreds of metres (the published formula's
    # shift dips under 100 m in a small patch around the Qaidam basin, e.g. Golmud ~96 m)
    lon, lat = _china_points()
    gcj = geodesic_m(lon, lat, *wgs84_to_gcj02(lon, lat))
    bd = geodesic_m(lon, lat, *wgs84_to_bd09(lon, lat))
    assert gcj.max() < 1000 and gcj.min() > 10
    assert np.mean(gcj > 100) > 0.97
    assert np.all(bd > gcj) and bd.max() < 2000


# ----------------------------------------------------------------- to_wgs84


@pytest.mark.parametrize(
    "name",
    [
        "gcj02",
        "GCJ02",
        "gcj-02",
        "GCJ-02",
        "amap",
        "AMap",
        "gaode",
        "Gaode",
        "tencent",
        "TENCENT",
        " gcj02 ",
        "mars",
        "火星坐标",
        "高德",
        "gcj_02",
    ],
)
def test_to_wgs84_gcj02_names(name):
    wlon, wlat = _guixi_points(100, seed=1)
    lon, lat = to_wgs84(*wgs84_to_gcj02(wlon, wlat), name)
    assert geodesic_m(wlon, wlat, lon, lat).max() < 1e-3


@pytest.mark.parametrize("name", ["bd09", "BD09", "bd-09", "BD-09", "baidu", "Baidu"])
def test_to_wgs84_bd09_names(name):
    wlon, wlat = _guixi_points(100, seed=2)
    lon, lat = to_wgs84(*wgs84_to_bd09(wlon, wlat), name)
    assert geodesic_m(wlon, wlat, lon, lat).max() < 1e-3


@pytest.mark.parametrize("name", ["wgs84", "WGS84", "wgs-84"])
def test_to_wgs84_wgs84_unchanged(name):
    lon, lat = to_wgs84([117, 117.5], [28, 28.25], name)
    assert lon.dtype == np.float64 and lat.dtype == np.float64
    assert lon.tolist() == [117.0, 117.5] and lat.tolist() == [28.0, 28.25]


def test_datums_tuple():
    assert DATUMS == ("wgs84", "gcj02", "bd09")
    for name in DATUMS:
        to_wgs84(117.0, 28.0, name)


@pytest.mark.parametrize("bad", ["xyz", "", "gcj03", "epsg:4326", None])
def test_to_wgs84_unknown_datum(bad):
    with pytest.raises(InputError) as info:
        to_wgs84(117.0, 28.0, bad)
    message = str(info.value)
    assert repr(bad) in message
    assert "wgs84" in message and "gcj02" in message and "bd09" in message
    assert "\n" not in message


def test_unknown_datum_message():
    with pytest.raises(
        InputError, match=r"datum 'xyz': expected wgs84, gcj02 \(Amap / Gaode / Tencent\) or bd09 \(Baidu\)"
    ):
        to_wgs84(117.0, 28.0, "xyz")
    with pytest.raises(ValueError):  # InputError is a ValueError too
        to_wgs84(117.0, 28.0, "xyz")


# ----------------------------------------------------------------- scalars and arrays


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_scalars_and_arrays(func):
    lon, lat = func(*GUIXI)
    assert isinstance(lon, np.ndarray) and lon.shape == () and lon.dtype == np.float64
    assert isinstance(lat, np.ndarray) and lat.shape == () and lat.dtype == np.float64
    assert float(lon) != GUIXI[0]  # shifted
    # lists, 2-D arrays and integers; each element equals the scalar call
    grid_lon, grid_lat = np.meshgrid(np.linspace(100, 120, 4), np.linspace(25, 40, 3))
    glon, glat = func(grid_lon, grid_lat)
    assert glon.shape == glat.shape == (3, 4) and glon.dtype == np.float64
    one_lon, one_lat = func(grid_lon[1, 2], grid_lat[1, 2])
    assert float(glon[1, 2]) == pytest.approx(float(one_lon), abs=1e-12)
    assert float(glat[1, 2]) == pytest.approx(float(one_lat), abs=1e-12)
    llon, llat = func([GUIXI[0], HELSINKI[0]], [GUIXI[1], HELSINKI[1]])
    assert llon.shape == (2,) and float(llon[0]) == pytest.approx(float(lon), abs=1e-12)
    assert (float(llon[1]), float(llat[1])) == HELSINKI
    ilon, ilat = func(117, 28)
    assert ilon.dtype == np.float64 and ilat.dtype == np.float64
    # a scalar latitude broadcasts against an array of longitudes
    blon, blat = func(np.array([117.0, 117.1]), 28.0)
    assert blon.shape == blat.shape == (2,)


def test_inputs_are_not_modified():
    lon = np.array([117.21, 24.94])
    lat = np.array([28.29, 60.17])
    for func in FUNCTIONS:
        func(lon, lat)
    assert lon.tolist() == [117.21, 24.94] and lat.tolist() == [28.29, 60.17]


def test_nan_passes_through():
    for func in FUNCTIONS:
        lon, lat = func([np.nan, 117.21], [28.0, 28.29])
        assert np.isnan(lon[0]) and np.isfinite(lon[1]) and np.isfinite(lat).all()
