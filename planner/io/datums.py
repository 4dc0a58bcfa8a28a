"""China's map datums: WGS-84, GCJ-02 and BD-09, in one place.

Chinese web maps do not use WGS-84. Amap / Gaode, Tencent and Google's China tiles
use GCJ-02 (the "Mars" datum: WGS-84 shifted by a published obfuscation formula,
hundreds of metres inside China), and Baidu uses BD-09 (GCJ-02 shifted again by a
second published formula). The planning pipeline works in WGS-84, so coordinates a
planner copied from one of those maps go through :func:`to_wgs84` first, and map
overlays drawn on Gaode tiles go through :func:`wgs84_to_gcj02`.

Every function is vectorised: it takes scalars or arrays (broadcast together) of
longitudes and latitudes in degrees and returns float64 arrays of the broadcast
shape (0-d arrays for scalars). Points outside :data:`CHINA_BBOX`, the rough box the
published GCJ-02 formula applies to, are returned unchanged by every function.

The forward formulas (WGS-84 -> GCJ-02 and GCJ-02 -> BD-09) are the published ones.
Their inverses have no closed form: :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02`
solve ``forward(x) = y`` by fixed-point iteration (the published BD-09 inverse is
only the starting point), and agree with the forward functions to far better than
a millimetre.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from planner.errors import InputError

__all__ = [
    "CHINA_BBOX",
    "DATUMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_GCJ_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_GCJ_EE = 0.00669342162296594323  # its first eccentricity squared
#: where GCJ-02 applies (the rough bounding box of China the published formula uses):
#: ``(west, south, east, north)`` in degrees
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)
_X_PI = np.pi * 3000.0 / 180.0  # the BD-09 formula's constant
_BD_DLON, _BD_DLAT = 0.0065, 0.006  # the BD-09 formula's constant offset (degrees)

#: the canonical datum names :func:`to_wgs84` accepts
DATUMS = ("wgs84", "gcj02", "bd09")
#: names of the datums in the wild, matched after lower-casing and dropping blanks,
#: "-" and "_": GCJ-02 is also "Mars coordinates" (火星坐标)
DATUM_ALIASES: dict[str, str] = {
    **dict.fromkeys(("wgs84", "wgs1984", "gps"), "wgs84"),
    **dict.fromkeys(("gcj02", "gcj", "mars", "火星坐标", "gaode", "amap", "高德", "tencent", "腾讯"), "gcj02"),
    **dict.fromkeys(("bd09", "bd09ll", "baidu", "百度"), "bd09"),
}

_TOL_DEG = 1e-10  # fixed-point iterations stop once no point moves more than this
_MAX_ITER = 20
_MARGIN_DEG = 0.1  # inverses also solve points this close outside the box (the shifts are < 0.02 deg)


def _lonlat(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``lon`` and ``lat`` as float64 arrays broadcast to one shape (fresh copies)."""
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return lon.copy(), lat.copy()


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray:
    """
    Whether each point lies in :data:`CHINA_BBOX`, where GCJ-02 applies.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitudes and latitudes in degrees.

    Returns
    -------
    numpy.ndarray of bool
        ``True`` inside the box (edges included); ``False`` outside and for NaN.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    west, south, east, north = CHINA_BBOX
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def _near_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points in :data:`CHINA_BBOX` grown by ``_MARGIN_DEG`` (whose inverse may lie inside the box)."""
    west, south, east, north = CHINA_BBOX
    m = _MARGIN_DEG
    return (lon >= west - m) & (lon <= east + m) & (lat >= south - m) & (lat <= north + m)


def _gcj_shift(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published GCJ-02 offset (degrees) at WGS-84 points, without the China test."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    wave = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + wave
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + wave
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = dlon * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad) * pi)
    return dlon, dlat


def _bd_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published GCJ-02 -> BD-09 formula, without the China test."""
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_inverse_published(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published (approximate, a few cm to dm off) BD-09 -> GCJ-02 formula."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    target_lon: np.ndarray,
    target_lat: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """
    Solve ``forward(lon, lat) == (target_lon, target_lat)`` by fixed-point iteration.

    Starting from ``(lon, lat)``, each step adds the residual ``target - forward(current)``
    (the forward maps here are the identity plus a small, slowly varying shift, so the
    iteration contracts). Stops when no point moves more than ``_TOL_DEG`` or after
    ``_MAX_ITER`` steps. One-dimensional arrays in, one-dimensional arrays out.
    """
    for _ in range(_MAX_ITER):
        flon, flat = forward(lon, lat)
        step_lon = target_lon - flon
        step_lat = target_lat - flat
        lon = lon + step_lon
        lat = lat + step_lat
        step = np.maximum(np.abs(step_lon), np.abs(step_lat))
        if not np.any(step > _TOL_DEG):  # NaN steps (NaN input) count as converged
            break
    return lon, lat


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """
    Shift WGS-84 coordinates to GCJ-02, the datum of Amap / Gaode and Tencent maps.

    The published GCJ-02 obfuscation formula, vectorised; points outside
    :data:`CHINA_BBOX` are returned unchanged.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitudes and latitudes in degrees (scalars or arrays that broadcast).

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 longitudes and latitudes (float64, the broadcast shape).
    """
    lon, lat = _lonlat(lon, lat)
    dlon, dlat = _gcj_shift(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """
    Convert GCJ-02 coordinates (Amap / Gaode / Tencent) back to WGS-84.

    The inverse of :func:`wgs84_to_gcj02` by fixed-point iteration: start from the
    GCJ-02 point and subtract the forward shift of the current estimate until the
    estimate moves less than 1e-10 degrees (at most 20 steps). The result maps back
    onto the input through :func:`wgs84_to_gcj02` to well under a millimetre.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitudes and latitudes in degrees (scalars or arrays that broadcast).

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 longitudes and latitudes (float64, the broadcast shape). Points whose
        WGS-84 position would fall outside :data:`CHINA_BBOX` (where GCJ-02 equals
        WGS-84) are returned unchanged.
    """
    lon, lat = _lonlat(lon, lat)
    near = _near_china(lon, lat)
    if np.any(near):
        glon, glat = lon[near], lat[near]
        wlon, wlat = _invert(_gcj_forward_unmasked, glon, glat, glon, glat)
        inside = in_china(wlon, wlat)
        lon[near] = np.where(inside, wlon, glon)
        lat[near] = np.where(inside, wlat, glat)
    return lon, lat


def _gcj_forward_unmasked(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_shift(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """
    Shift GCJ-02 coordinates to BD-09, the datum of Baidu maps.

    The published formula (``x_pi = pi * 3000 / 180``;
    ``z = sqrt(x^2 + y^2) + 0.00002 sin(y x_pi)``;
    ``theta = atan2(y, x) + 0.000003 cos(x x_pi)``;
    ``bd_lon = z cos(theta) + 0.0065``, ``bd_lat = z sin(theta) + 0.006``), vectorised.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitudes and latitudes in degrees (scalars or arrays that broadcast).

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 longitudes and latitudes (float64, the broadcast shape). Points outside
        :data:`CHINA_BBOX` are returned unchanged.
    """
    lon, lat = _lonlat(lon, lat)
    blon, blat = _bd_forward(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, blon, lon), np.where(inside, blat, lat)


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """
    Convert BD-09 coordinates (Baidu) back to GCJ-02.

    The published inverse formula is only approximate (a few cm to dm off); its
    result is refined by fixed-point iteration against :func:`gcj02_to_bd09` until
    it moves less than 1e-10 degrees (at most 20 steps), so the result maps back
    onto the input to well under a millimetre.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitudes and latitudes in degrees (scalars or arrays that broadcast).

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 longitudes and latitudes (float64, the broadcast shape). Points whose
        GCJ-02 position would fall outside :data:`CHINA_BBOX` are returned unchanged.
    """
    lon, lat = _lonlat(lon, lat)
    near = _near_china(lon, lat)
    if np.any(near):
        blon, blat = lon[near], lat[near]
        start_lon, start_lat = _bd_inverse_published(blon, blat)
        glon, glat = _invert(_bd_forward, blon, blat, start_lon, start_lat)
        inside = in_china(glon, glat)
        lon[near] = np.where(inside, glon, blon)
        lat[near] = np.where(inside, glat, blat)
    return lon, lat


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """
    Shift WGS-84 coordinates to BD-09 (Baidu): :func:`wgs84_to_gcj02` then :func:`gcj02_to_bd09`.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitudes and latitudes in degrees (scalars or arrays that broadcast).

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 longitudes and latitudes (float64, the broadcast shape); points
        outside :data:`CHINA_BBOX` unchanged.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """
    Convert BD-09 coordinates (Baidu) to WGS-84: :func:`bd09_to_gcj02` then :func:`gcj02_to_wgs84`.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitudes and latitudes in degrees (scalars or arrays that broadcast).

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 longitudes and latitudes (float64, the broadcast shape); points
        outside :data:`CHINA_BBOX` unchanged.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def datum_name(datum: object) -> str | None:
    """The canonical name (see :data:`DATUMS`) of a datum's name in the wild, or ``None``."""
    if not isinstance(datum, str):
        return None
    return DATUM_ALIASES.get(re.sub(r"[\s_\-]", "", datum).lower())


def _canonical(datum: str) -> str:
    """The canonical name of ``datum`` (see :data:`DATUMS`), or :class:`InputError`."""
    name = datum_name(datum)
    if name is None:
        raise InputError(f"datum {datum!r}: expected wgs84, gcj02 (Amap / Gaode / Tencent) or bd09 (Baidu)")
    return name


def to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """
    Convert coordinates in a named datum to WGS-84, the datum the pipeline works in.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitudes and latitudes in degrees (scalars or arrays that broadcast).
    datum : str
        The datum of ``lon``, ``lat``, case-insensitive: ``"wgs84"`` (also
        ``"wgs-84"``), ``"gcj02"`` (also ``"gcj-02"``, ``"amap"``, ``"gaode"``,
        ``"tencent"``) or ``"bd09"`` (also ``"bd-09"``, ``"baidu"``).

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 longitudes and latitudes (float64, the broadcast shape).

    Raises
    ------
    InputError
        ``datum`` is not one of the names above.
    """
    name = _canonical(datum)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _lonlat(lon, lat)
