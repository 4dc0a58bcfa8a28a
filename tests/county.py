"""A Guixi county planner's own files, written from the real OSM extract for tests (issue 28).

:func:`guixi_files` writes, seeded and deterministic, the files a county planner
brings to ``planner plan`` (homes of residential compounds, candidate sites with
tiers, existing stations, community polygons with census counts, a population
raster and a planning boundary) and returns their paths with the truth used to
make them, computed here with shapely / numpy from the true WGS-84 coordinates,
independently of the planner. :func:`cli_args` gives the ``planner plan``
arguments that read them.

Coordinates of the tables are GCJ-02 (as copied from Amap), made with the test's
own forward formula (``tests/test_datums.py``), written with 8 decimals (1 mm);
no home or site lies within 3 m of the boundary's edge, so inside / outside does
not depend on the datum's round trip.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from conftest import shared_file
from reference import wgs84_to_gcj02

import planner

__all__ = ["KINDS", "CountyFiles", "cli_args", "guixi_files", "guixi_network"]

#: the argument sets of :func:`cli_args`
KINDS = ("points", "polygons", "raster", "tiers", "boundary", "areas")
#: the tier words written in the 层级 column and what they mean to the planner (planner.config.TIER_ALIASES)
TIER_WORDS = {"网格站": "grid", "社区党群服务中心": "centre", "均可": "any"}
#: homes farther than this from every street are off the network (planner.config.DEFAULTS.max_snap_m)
OFF_NETWORK_M = 250.0
#: a home with no centre-capable site within this straight line is beyond any 5-minute walk (400 m) of one,
#: whatever the snapping of both ends (homes lie within 57 m of a street, sites within 22 m)
GRID_ONLY_CLEAR_M = 500.0
#: raster cells, degrees (about 98 m x 100 m at Guixi's latitude)
CELL_LON, CELL_LAT = 0.001, 0.0009
#: the raster's margin beyond the extract's bounds, degrees (about 2 km)
RASTER_MARGIN = 0.02
RASTER_NODATA = -9999.0
#: no home or site this close (degrees, about 3 m) to the boundary's edge
EDGE_CLEAR_DEG = 3e-5

_PLACES = ["东门", "西门", "南街", "北山", "江滨", "城中", "雄石"]
_KINDS = ["社区用房", "物业用房", "文化广场", "老年活动中心", "党群服务点"]
_HOME_FIRST = "锦绣 翠湖 金桂 丰和 龙虎 信江 梧桐 阳光 碧水 景园 华府 御景 书香 和园 秀水".split()
_HOME_SECOND = ["花园", "新村", "家园", "名苑", "雅居", "嘉园", "福邸", "城", "里", "公寓"]
_COMMUNITIES = ["东门社区", "西门社区", "江滨社区", "城中社区", "北山社区"]


@dataclass(frozen=True, eq=False)
class CountyFiles:
    """The files written by :func:`guixi_files` and the truth used to make them.

    Tables hold the true WGS-84 coordinates (``lon`` / ``lat``), not the GCJ-02 written.

    Attributes
    ----------
    folder, source
        Where the files are; the OSM extract they were made on.
    homes, sites, existing, communities, population, boundary
        ``homes_gcj02_gbk.csv``, ``sites.xlsx``, ``existing.csv``, ``communities_4548.gpkg``,
        ``population.tif``, ``boundary.geojson``.
    home_table
        One row per home in file order: ``demand_id``, ``name``, ``lon``, ``lat``, ``gcj_lon``,
        ``gcj_lat``, ``population`` (int), ``street_m`` (straight line to the nearest street),
        ``off_network`` (beyond 250 m), ``inside_boundary``, ``community`` (the polygon holding it),
        ``grid_only`` (no centre-capable site within 500 m, a grid-only site within 60 m).
    site_table
        One row per candidate in file order: ``site_id``, ``name``, ``tier_word`` (as written),
        ``tier`` (``centre`` / ``grid`` / ``any``), ``lon``, ``lat``, ``street_m``, ``inside_boundary``.
    existing_table
        The existing stations: ``site_id``, ``name``, ``lon``, ``lat``, ``street_m``, ``inside_boundary``.
    community_table
        EPSG:4326 polygons: ``name``, ``population`` (the census written), ``n_homes``,
        ``home_population`` (homes of the CSV inside), ``boundary`` (``inside`` / ``straddles`` / ``outside``).
    boundary_polygon
        The planning boundary as written (WGS-84).
    raster_values, raster_transform
        The population raster as written (float64; NaN where nodata) and its transform (EPSG:4326).
    raster_total
        People in every cell of the raster (nodata excluded).
    """

    folder: Path
    source: Path
    homes: Path
    sites: Path
    existing: Path
    communities: Path
    population: Path
    boundary: Path
    home_table: pd.DataFrame = field(repr=False)
    site_table: pd.DataFrame = field(repr=False)
    existing_table: pd.DataFrame = field(repr=False)
    community_table: gpd.GeoDataFrame = field(repr=False)
    boundary_polygon: shapely.Geometry = field(repr=False)
    raster_values: np.ndarray = field(repr=False)
    raster_transform: Affine = field(repr=False)
    raster_total: float = 0.0

    @property
    def population_total(self) -> int:
        """Residents of every home in the CSV."""
        return int(self.home_table["population"].sum())

    @property
    def homes_inside(self) -> pd.DataFrame:
        """The homes inside the planning boundary."""
        return self.home_table[self.home_table["inside_boundary"]]

    @property
    def census_total(self) -> float:
        """The communities' census counts added up."""
        return float(self.community_table["population"].sum())

    def raster_people(self, area: shapely.Geometry) -> tuple[float, float, int]:
        """People of the raster in ``area`` (WGS-84) as the planner counts them: by cell centre.

        Returns the people of the cells whose centre lies in ``area`` (its edge included), the
        people of the other cells of the window of whole cells over ``area``'s bounding box, and
        the number of populated cells inside.
        """
        values = np.nan_to_num(self.raster_values, nan=0.0)
        rows, cols = np.indices(values.shape)
        t = self.raster_transform
        xs, ys = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
        centre_in = shapely.intersects_xy(area, xs.ravel(), ys.ravel()).reshape(values.shape)
        minx, miny, maxx, maxy = area.bounds
        c0, c1 = np.floor((minx - t.c) / t.a), np.ceil((maxx - t.c) / t.a)
        r0, r1 = np.floor((maxy - t.f) / t.e), np.ceil((miny - t.f) / t.e)
        window = (cols >= c0) & (cols < c1) & (rows >= r0) & (rows < r1)
        populated = values > 0
        inside = float(values[centre_in & window].sum())
        outside = float(values[~centre_in & window].sum())
        return inside, outside, int((centre_in & window & populated).sum())


@functools.lru_cache(maxsize=2)
def guixi_network(path: str) -> nx.MultiDiGraph:
    """``planner.load_network(path)``, loaded once per process (read-only by convention)."""
    return planner.load_network(path)


def guixi_files(
    folder: Path, network: nx.MultiDiGraph | None = None, seed: int = 3, *, source: Path | None = None
) -> CountyFiles:
    """Write Guixi's county files into ``folder`` and return them with their truth.

    ``network`` is the walking network of ``source`` (the shared Guixi extract by default,
    skipping the test when ../shared is absent); loaded and cached when not given.
    """
    source = Path(source) if source is not None else shared_file("guixi_jiangxi.osm")
    G = network if network is not None else guixi_network(str(source))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    crs = G.graph["crs"]

    lines = np.array([d["geometry"] for _, _, d in G.edges(data=True)], dtype=object)
    streets = shapely.STRtree(lines)
    nodes = np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)])
    (minx, miny), (maxx, maxy) = nodes.min(axis=0), nodes.max(axis=0)
    width, height = maxx - minx, maxy - miny

    def street_m(xy: np.ndarray) -> np.ndarray:
        _, dist = streets.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
        return dist

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        pts = gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs("EPSG:4326")
        return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])

    # the planning boundary: the south two thirds (Guixi's town), a slanted north edge, WGS-84 vertices
    # rounded to 7 decimals as written
    pad = 150.0
    corners = np.array(
        [
            (minx - pad, miny - pad),
            (maxx + pad, miny - pad),
            (maxx + pad, miny + 0.62 * height),
            (minx - pad, miny + 0.72 * height),
        ]
    )
    boundary_ll = shapely.Polygon(np.round(to_lonlat(corners), 7))
    boundary_edge = boundary_ll.exterior

    def clear_of_edge(ll: np.ndarray) -> np.ndarray:
        return shapely.distance(boundary_edge, shapely.points(ll)) > EDGE_CLEAR_DEG

    def in_boundary(ll: np.ndarray) -> np.ndarray:
        return shapely.intersects_xy(boundary_ll, ll[:, 0], ll[:, 1])

    lengths = np.array([line.length for line in lines])

    def on_streets(n: int, jitter: float) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points along the streets (uniform by length) plus jitter, clear of the boundary's edge."""
        picks = rng.choice(len(lines), 3 * n, p=lengths / lengths.sum())
        base = shapely.get_coordinates(shapely.line_interpolate_point(lines[picks], rng.random(3 * n), normalized=True))
        xy = base + rng.uniform(-jitter, jitter, (3 * n, 2))
        ok = np.flatnonzero(clear_of_edge(to_lonlat(xy)))[:n]
        assert len(ok) == n
        return xy[ok], base[ok]

    # 1. homes: 144 along the streets, 6 between 300 and 500 m off any (4 inside the boundary, 2 outside)
    home_xy, home_base = on_streets(144, 40.0)
    trial = np.column_stack([rng.uniform(minx, maxx, 4000), rng.uniform(miny, maxy, 4000)])
    trial_ll = to_lonlat(trial)
    far = (street_m(trial) >= 300) & (street_m(trial) <= 500) & clear_of_edge(trial_ll)
    inner = in_boundary(trial_ll)
    off_xy = np.vstack([trial[far & inner][:4], trial[far & ~inner][:2]])
    assert len(off_xy) == 6
    home_xy = np.vstack([home_xy, off_xy])
    home_base = np.vstack([home_base, off_xy])
    n_homes = len(home_xy)
    home_ll = to_lonlat(home_xy)
    names = [f"{_HOME_FIRST[i % 15]}{_HOME_SECOND[i // 15]}小区" for i in range(n_homes)]
    homes = pd.DataFrame(
        {
            "demand_id": [f"XQ{i + 1:03d}" for i in range(n_homes)],
            "name": names,
            "lon": home_ll[:, 0],
            "lat": home_ll[:, 1],
            "population": rng.integers(300, 3001, n_homes),
            "street_m": street_m(home_xy),
        }
    )
    homes["off_network"] = homes["street_m"] > OFF_NETWORK_M
    homes["inside_boundary"] = in_boundary(home_ll)

    # 2. candidate sites: 35 along the streets, tiers in turn; then grid-only sites beside homes that no
    # centre-capable site reaches, until there are 40
    site_xy, _ = on_streets(35, 15.0)
    turn = ["网格站", "社区党群服务中心", "均可", "均可", "网格站"]
    words = [turn[i % 5] for i in range(35)]
    site_names = [f"{_PLACES[i % 7]}{_KINDS[i // 7]}" for i in range(35)]
    capable = site_xy[[TIER_WORDS[w] != "grid" for w in words]]
    clear = np.hypot(*(home_xy[:, None, :] - capable[None, :, :]).transpose(2, 0, 1)).min(axis=1) > GRID_ONLY_CLEAR_M
    lonely = np.flatnonzero(clear & ~homes["off_network"].to_numpy() & homes["inside_boundary"].to_numpy())
    assert len(lonely) >= 5, "too few homes beyond every centre-capable site: change the seed"
    for i in lonely[:5]:
        site_xy = np.vstack([site_xy, home_base[i] + rng.uniform(-10, 10, 2)])
        words.append("网格站")
        site_names.append(f"{names[i]}旁空地")
    site_ll = to_lonlat(site_xy)
    assert clear_of_edge(site_ll).all()
    sites = pd.DataFrame(
        {
            "site_id": [f"S{i + 1:02d}" for i in range(len(site_xy))],
            "name": site_names,
            "tier_word": words,
            "tier": [TIER_WORDS[w] for w in words],
            "lon": site_ll[:, 0],
            "lat": site_ll[:, 1],
            "street_m": street_m(site_xy),
            "inside_boundary": in_boundary(site_ll),
        }
    )
    grid_xy = site_xy[(sites["tier"] == "grid").to_numpy()]
    near_grid = np.hypot(*(home_xy[:, None, :] - grid_xy[None, :, :]).transpose(2, 0, 1)).min(axis=1) <= 60.0
    homes["grid_only"] = clear & near_grid & ~homes["off_network"].to_numpy()

    # 3. existing stations: two inside the boundary, one just outside it (kept: it serves homes inside)
    trial_xy, _ = on_streets(200, 10.0)
    trial_ll = to_lonlat(trial_xy)
    inner = in_boundary(trial_ll)
    beyond = shapely.distance(boundary_ll, shapely.points(trial_ll))
    just_out = ~inner & (beyond > 0.001) & (beyond < 0.0025)  # about 100-250 m
    pick = np.concatenate([np.flatnonzero(inner)[:2], np.flatnonzero(just_out)[:1]])
    assert len(pick) == 3
    existing = pd.DataFrame(
        {
            "site_id": ["E1", "E2", "E3"],
            "name": ["江滨网格站", "东门网格站", "北山网格站"],
            "lon": trial_ll[pick, 0],
            "lat": trial_ll[pick, 1],
            "street_m": street_m(trial_xy[pick]),
            "inside_boundary": inner[pick],
        }
    )

    # 4. communities: a tiling of the node box (plus 100 m) that covers every home: three south of
    # 0.5 h (inside the boundary), one over the boundary's north edge, one north of it
    m = 100.0
    x0, x1, y0, y1 = minx - m, maxx + m, miny - m, maxy + m
    xa, xb, ya, yb = minx + 0.35 * width, minx + 0.65 * width, miny + 0.5 * height, miny + 0.8 * height
    tiles = [
        shapely.box(x0, y0, xa, ya),
        shapely.box(xa, y0, xb, ya),
        shapely.box(xb, y0, x1, ya),
        shapely.box(x0, ya, x1, yb),
        shapely.box(x0, yb, x1, y1),
    ]
    owner = np.full(n_homes, -1)
    for k, tile in enumerate(tiles):
        owner[shapely.contains_xy(tile, home_xy[:, 0], home_xy[:, 1])] = k
    assert (owner >= 0).all(), "a home outside every community"
    homes["community"] = np.array(_COMMUNITIES, dtype=object)[owner]
    pop = homes["population"].to_numpy()
    home_pop = np.array([pop[owner == k].sum() for k in range(5)])
    census = home_pop + rng.integers(500, 3001, 5)
    local = gpd.GeoDataFrame({"社区名称": _COMMUNITIES, "人口": census}, geometry=tiles, crs=crs)
    communities_ll = local.to_crs("EPSG:4326")
    status = [
        "inside" if boundary_ll.contains(g) else "outside" if boundary_ll.disjoint(g) else "straddles"
        for g in communities_ll.geometry
    ]
    assert status == ["inside", "inside", "inside", "straddles", "outside"], status
    community_table = gpd.GeoDataFrame(
        {
            "name": _COMMUNITIES,
            "population": census.astype(float),
            "n_homes": np.bincount(owner, minlength=5),
            "home_population": home_pop,
            "boundary": status,
        },
        geometry=communities_ll.geometry.values,
        crs="EPSG:4326",
    )

    # 5. the population raster over the extract's bounds plus 2 km: people near the streets, a few
    # scattered beyond, nodata on a dozen cells
    west, south, east, north = _extract_bounds(source)
    col0 = np.floor((west - RASTER_MARGIN) / CELL_LON)
    row0 = np.ceil((north + RASTER_MARGIN) / CELL_LAT)
    n_cols = int(np.ceil((east + RASTER_MARGIN) / CELL_LON) - col0)
    n_rows = int(row0 - np.floor((south - RASTER_MARGIN) / CELL_LAT))
    transform = Affine(CELL_LON, 0.0, col0 * CELL_LON, 0.0, -CELL_LAT, row0 * CELL_LAT)
    rows, cols = np.indices((n_rows, n_cols))
    centres_ll = np.column_stack(
        [transform.c + (cols.ravel() + 0.5) * CELL_LON, transform.f - (rows.ravel() + 0.5) * CELL_LAT]
    )
    centres = gpd.GeoSeries(shapely.points(centres_ll), crs="EPSG:4326").to_crs(crs)
    near = street_m(shapely.get_coordinates(centres.values)).reshape(n_rows, n_cols) <= 300
    people = np.where(near, rng.gamma(2.0, 9.0, near.shape), 0.0)
    scattered = ~near & (rng.random(near.shape) < 0.1)
    people[scattered] = rng.gamma(1.0, 3.0, int(scattered.sum()))
    values = np.round(people, 2).astype("float32")
    nodata = rng.choice(values.size, 12, replace=False)
    values.ravel()[nodata] = RASTER_NODATA
    tif = folder / "population.tif"
    _write_raster(tif, values, transform)
    raster_values = values.astype("float64")
    raster_values[values == RASTER_NODATA] = np.nan

    # the files
    gcj = np.array([wgs84_to_gcj02(lon, lat) for lon, lat in home_ll])
    homes["gcj_lon"], homes["gcj_lat"] = gcj[:, 0], gcj[:, 1]
    home_csv = folder / "homes_gcj02_gbk.csv"
    table = pd.DataFrame(
        {
            "小区编号": homes["demand_id"],
            "小区名称": homes["name"],
            "经度": homes["gcj_lon"],
            "纬度": homes["gcj_lat"],
            "常住人口": homes["population"],
        }
    )
    home_csv.write_bytes(table.to_csv(index=False, float_format="%.8f", lineterminator="\r\n").encode("gbk"))

    site_gcj = np.array([wgs84_to_gcj02(lon, lat) for lon, lat in site_ll])
    xlsx = folder / "sites.xlsx"
    sheet = pd.DataFrame(
        {"编号": sites["site_id"], "名称": sites["name"], "经度": site_gcj[:, 0], "纬度": site_gcj[:, 1], "层级": words}
    )
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        # a title row above the header, as county lists have
        pd.DataFrame([["贵溪市社区服务站候选点位（高德坐标）"]]).to_excel(writer, index=False, header=False)
        sheet.to_excel(writer, index=False, startrow=1)

    ex_gcj = np.array([wgs84_to_gcj02(lon, lat) for lon, lat in existing[["lon", "lat"]].to_numpy()])
    ex_csv = folder / "existing.csv"
    ex_table = pd.DataFrame(
        {"编号": existing["site_id"], "名称": existing["name"], "经度": ex_gcj[:, 0], "纬度": ex_gcj[:, 1]}
    )
    ex_csv.write_text(ex_table.to_csv(index=False, float_format="%.8f"), encoding="utf-8")

    gpkg = folder / "communities_4548.gpkg"
    gpkg.unlink(missing_ok=True)
    local.to_crs("EPSG:4548").to_file(gpkg, driver="GPKG", layer="communities")

    geojson = folder / "boundary.geojson"
    feature = {
        "type": "Feature",
        "properties": {"name": "贵溪城区规划范围"},
        "geometry": shapely.geometry.mapping(boundary_ll),
    }
    doc = {"type": "FeatureCollection", "features": [feature]}
    geojson.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")

    return CountyFiles(
        folder=folder,
        source=source,
        homes=home_csv,
        sites=xlsx,
        existing=ex_csv,
        communities=gpkg,
        population=tif,
        boundary=geojson,
        home_table=homes,
        site_table=sites,
        existing_table=existing,
        community_table=community_table,
        boundary_polygon=boundary_ll,
        raster_values=raster_values,
        raster_transform=transform,
        raster_total=float(np.nansum(raster_values)),
    )


def cli_args(files: CountyFiles, kind: str, *, boundary: bool = False, max_centres: int = 15) -> list[str]:
    """``planner plan`` arguments reading ``files`` (without ``--out`` / ``--quiet``).

    ``kind``: ``points`` (homes CSV, sites, existing, each ``--input-crs <file>=gcj02``), ``polygons``
    (the communities as ``--demand``), ``raster`` (population.tif as ``--demand``), ``tiers``
    (points, ``--tiers --max-centres``), ``boundary`` (points, ``--boundary``), ``areas``
    (points, ``--areas`` communities). ``boundary=True`` adds ``--boundary`` to any kind.
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: expected one of {', '.join(KINDS)}")
    args = ["plan", "--source", str(files.source)]
    # per file: the communities' GeoPackage declares EPSG:4548 (a global gcj02 would be said to be ignored)
    sites = ["--candidates", str(files.sites), "--existing", str(files.existing)]
    sites += ["--input-crs", "candidates=gcj02", "--input-crs", "existing=gcj02"]
    if kind == "polygons":
        args += ["--demand", str(files.communities), *sites]
    elif kind == "raster":
        args += ["--demand", str(files.population), *sites]
    else:
        args += ["--demand", str(files.homes), "--input-crs", "demand=gcj02", *sites]
    if kind == "tiers":
        args += ["--tiers", "--max-centres", str(max_centres)]
    if kind == "areas":
        args += ["--areas", str(files.communities)]
    if kind == "boundary" or boundary:
        args += ["--boundary", str(files.boundary)]
    return args


def _extract_bounds(source: Path) -> tuple[float, float, float, float]:
    """``<bounds>`` of an .osm file's header: west, south, east, north."""
    with open(source, encoding="utf-8") as f:
        head = f.read(4096)
    found = re.search(r"<bounds\s+([^>]*)/>", head)
    assert found, f"{source}: no <bounds> in its header"
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
    return float(attrs["minlon"]), float(attrs["minlat"]), float(attrs["maxlon"]), float(attrs["maxlat"])


def _write_raster(path: Path, values: np.ndarray, transform: Affine) -> None:
    """A single-band float32 GeoTIFF in EPSG:4326 with nodata."""
    import rasterio

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=RASTER_NODATA,
    ) as dst:
        dst.write(values, 1)
