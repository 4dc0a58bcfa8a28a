"""Documented defaults, in one frozen dataclass.

Every stage takes its defaults from :data:`DEFAULTS`; keyword arguments override
them. Nothing here is mutable at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from planner.errors import InputError

__all__ = [
    "ACCESS_CLOSED",
    "CANDIDATE_TAGS",
    "COLUMN_ALIASES",
    "DEFAULTS",
    "FOOT_ALLOWED",
    "FOOT_CLOSED",
    "ID_ALIASES",
    "NOT_WALKED_HIGHWAYS",
    "OPEN_AIR_KINDS",
    "SITE_COSTS",
    "TIER_ALIASES",
    "WALKABLE_HIGHWAYS",
    "WALKING_TAGS",
    "Defaults",
    "check_positive",
]


@dataclass(frozen=True)
class Defaults:
    """Defaults of the pipeline, with their sources.

    Attributes
    ----------
    speed_kmh
        Walking speed, 4.8 km/h (80 m per minute): the mean adult walking speed
        used by osmnx's isochrone examples and close to the 1.3-1.4 m/s found in
        pedestrian studies; GB 50180-2018 sizes its 5-minute life circle at
        300 m of walking distance, i.e. a slower, door-to-door speed, which a
        planner can choose with ``speed_kmh=3.6``.
    minutes
        The life-circle limit: 5 minutes (GB 50180-2018 also uses 10 and 15).
    tier_minutes
        The walk to a community centre in a "1+5+N" plan: 15 minutes, the standard's 15-minute life circle.
    floor_area_per_person_m2
        Residential floor area per resident, 35 m2 (China's 2020 census reports
        about 36.5 m2 per urban resident). Population of a building is
        ``footprint area x levels / floor_area_per_person_m2``.
    default_levels
        Levels assumed when ``building:levels`` is missing, by building type.
    residential_building_types
        ``building=*`` values counted as homes.
    min_residential_buildings
        Fewer residential buildings than this in the area and demand falls back
        to residential land use (compounds mapped as ``landuse=residential``).
    landuse_density_per_ha
        Residents per hectare of ``landuse=residential``: 150, a mid-rise Chinese
        compound's gross density (15,000 per km2).
    landuse_spacing_m
        Spacing of the grid of demand points sampled inside residential land use.
    max_snap_m
        Points farther than this from the walking network are excluded (with a
        warning that counts them).
    min_component_nodes
        Network components smaller than this (stray footway fragments) are dropped.
    """

    speed_kmh: float = 4.8
    minutes: float = 5.0
    tier_minutes: float = 15.0
    floor_area_per_person_m2: float = 35.0
    default_levels: dict = field(
        default_factory=lambda: {
            "house": 2.0,
            "detached": 2.0,
            "semidetached_house": 2.0,
            "terrace": 2.0,
            "residential": 5.0,
            "apartments": 5.0,
            "dormitory": 5.0,
            "yes": 3.0,
        }
    )
    residential_building_types: tuple = (
        "residential",
        "apartments",
        "house",
        "detached",
        "terrace",
        "semidetached_house",
        "dormitory",
    )
    min_residential_buildings: int = 50
    landuse_density_per_ha: float = 150.0
    landuse_spacing_m: float = 50.0
    max_snap_m: float = 250.0
    min_component_nodes: int = 10


DEFAULTS = Defaults()

#: OSM tags of places that can host a small service station. A feature matching any
#: key/value pair is a candidate site (polygons contribute a point on their surface).
CANDIDATE_TAGS: dict[str, list[str]] = {
    "amenity": [
        "community_centre",
        "social_centre",
        "social_facility",
        "townhall",
        "library",
        "public_building",
        "post_office",
    ],
    "office": ["property_management", "government", "association"],
    "leisure": ["park", "playground", "fitness_station", "common"],
    "place": ["square"],
}

#: Cost of opening a station (relative units, e.g. 10,000 CNY) by how it is built:
#: renovating a room in an existing building (community centre, office, property
#: management room) versus a prefabricated kiosk in a park or square. Used by the
#: ``budget`` model when the candidates file has no ``cost`` column; existing
#: stations cost nothing.
#: Candidate kinds in the open air (parks, squares, playgrounds): a station there
#: is a prefabricated kiosk. They cost :data:`SITE_COSTS` ``"prefabricated"`` and may
#: host a grid station only, never a community centre (tier ``grid``).
OPEN_AIR_KINDS: tuple[str, ...] = ("park", "playground", "fitness_station", "common", "square")

SITE_COSTS: dict = {"renovate": 1.0, "prefabricated": 1.5, "prefabricated_kinds": OPEN_AIR_KINDS}

#: What a site may become in a tiered ("1+5+N") plan, and the values a ``tier``
#: column may hold for each (matched case-insensitively, blanks stripped):
#: ``centre`` a community centre (社区党群服务中心) only, ``grid`` a grid station
#: (网格站) only, ``any`` either (the default for a candidates file; OSM candidates
#: are ``grid`` when their kind is in :data:`OPEN_AIR_KINDS`, else ``any``).
#: An empty cell means ``any`` for candidates and ``grid`` for existing stations.
TIER_ALIASES: dict[str, tuple[str, ...]] = {
    "centre": (
        "centre",
        "center",
        "community centre",
        "community center",
        "中心",
        "社区中心",
        "党群服务中心",
        "社区党群服务中心",
        "服务中心",
    ),
    "grid": ("grid", "grid station", "station", "网格站", "网格", "站点"),
    "any": ("any", "either", "both", "任意", "均可", "不限"),
}

#: highway=* values walkable without further tags. Both readers of OSM files (.osm.pbf
#: and raw .osm XML) keep a way with one of them unless its tags close it to pedestrians;
#: ``highway=cycleway`` is not among them: a cycleway is walked only when its ``foot`` tag
#: allows it (see :data:`FOOT_ALLOWED` and :func:`planner.network.sources.walkable_way`).
WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway",
        "pedestrian",
        "path",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "trunk",
        "trunk_link",
        "track",
        "corridor",
        "road",
        "bridleway",
        "elevator",
        "escalator",
        "crossing",
        "trail",
    }
)

#: foot=* values that open a way to pedestrians, whatever its highway value (a shared
#: foot and cycle path: ``highway=cycleway`` + ``foot=designated``) and whatever its
#: ``access`` tag
FOOT_ALLOWED: frozenset[str] = frozenset({"yes", "designated", "permissive"})

#: foot=* values that close a way to pedestrians, whatever its other tags
FOOT_CLOSED: frozenset[str] = frozenset({"no", "private"})

#: access=* values that close a way to pedestrians unless its foot=* is in FOOT_ALLOWED
ACCESS_CLOSED: frozenset[str] = frozenset({"no", "private"})

#: highway=* values that are no way to walk on, even with foot=yes: not built (yet or
#: anymore), or not part of the street network (pyrosm's and osmnx's filters agree)
NOT_WALKED_HIGHWAYS: frozenset[str] = frozenset(
    {
        "abandoned",
        "construction",
        "disused",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)

#: the OSM way tags :func:`planner.network.sources.walkable_way` reads
WALKING_TAGS: tuple[str, ...] = (
    "highway",
    "foot",
    "access",
    "service",
    "area",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
)


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise :class:`InputError` unless positive and finite.

    Parameters
    ----------
    name
        The parameter's name, used in the message.
    value
        The value to check.
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r}: expected a positive number") from None
    if not math.isfinite(number) or number <= 0:
        raise InputError(f"{name}={value!r}: expected a positive, finite number")
    return number


#: Column headers :func:`planner.io.read_points` accepts for each canonical column, in
#: order of preference. Headers are matched case-insensitively after stripping blanks
#: (``NAME``, ``Name `` and ``name`` are one header); a matched column is renamed to
#: its canonical name only when the file has no column of that exact name already.
#: Each header belongs to one canonical name only. Deliberately left out:
#:
#: * ``pop`` (an abbreviation also used for shares and points of presence: a
#:   ``pop`` column is refused as "population missing" rather than guessed);
#: * ``类型`` ("type": usually a building or land-use type, not centre / grid);
#: * ``x坐标`` / ``y坐标``: Chinese survey tables put the northing in X, so the
#:   header says nothing reliable about which axis it holds.
#:
#: ``lon`` / ``lat`` headers only locate the coordinates of a CSV or Excel table
#: (with a projected ``crs``, ``x`` / ``y`` are looked for first; the columns are
#: then eastings / northings, not degrees); the attributes of GeoJSON, GPKG and
#: shapefiles are aliased for every other name, their geometry holds the points.
#: The generic id headers of :data:`ID_ALIASES` are added to ``demand_id`` when
#: demand is read and to ``site_id`` otherwise.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "站点名称", "名字", "站名", "单位名称", "社区名称", "社区", "小区名称", "title"),
    "lon": ("lon", "lng", "long", "longitude", "经度", "x"),
    "lat": ("lat", "latitude", "纬度", "y"),
    "population": ("population", "人口", "常住人口", "户籍人口", "人数"),
    "cost": ("cost", "成本", "造价", "费用", "投资"),
    "tier": ("tier", "层级", "级别"),
    "site_id": ("site_id", "站点编号", "站点id"),
    "demand_id": ("demand_id", "需求点编号", "小区编号"),
}

#: Generic id headers (``id``, ``编号``): ``demand_id`` in a demand file, ``site_id``
#: in a candidates or existing-stations file (after the specific headers above).
ID_ALIASES: tuple[str, ...] = ("id", "编号")
