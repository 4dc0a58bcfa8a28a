"""What the coordinates of a file are: the input CRS, lon/lat checks, conversion to WGS-84, projection hints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj

from planner.errors import InputError
from planner.io.datums import datum_name

__all__ = ["SourceCRS", "parse_crs", "xy_to_wgs84"]

#: ``crs`` values (lower case, without blanks, ``-`` and ``_``) meaning lon/lat in a
#: Chinese datum, or plain WGS-84 lon/lat
_CRS_EXPECTED = "expected wgs84, gcj02, bd09 or an EPSG code such as EPSG:4547"
#: a point this far (degrees) outside the area of use of the CRS its file was given
#: in is refused (a wrong code or swapped axes)
_AREA_MARGIN_DEG = 1.0


@dataclass(frozen=True)
class SourceCRS:
    """What ``read_points(crs=...)`` says the coordinates are."""

    label: str  # as the caller wrote it
    datum: str | None = None  # "wgs84", "gcj02" or "bd09": lon/lat in that datum
    crs: pyproj.CRS | None = None  # any other coordinate reference system

    @property
    def projected(self) -> bool:
        """The coordinates are x / y of a projected CRS (not lon / lat)."""
        return self.crs is not None and not self.crs.is_geographic


def parse_crs(p: Path, crs: str | None) -> SourceCRS | None:
    """The ``--input-crs`` of file ``p``: a Chinese datum or a CRS (``None``: WGS-84 lon / lat), refused in one line."""
    if crs is None:
        return None
    datum = datum_name(str(crs))
    if datum is not None:
        return SourceCRS(str(crs), datum=datum)
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError, ValueError):
        raise InputError(f"{p}: unknown input CRS {crs!r} (--input-crs); {_CRS_EXPECTED}") from None
    if parsed.is_geographic and parsed.to_epsg() == 4326:
        return SourceCRS(str(crs), datum="wgs84")
    if not (parsed.is_geographic or parsed.is_projected):
        raise InputError(
            f"{p}: input CRS {crs!r} is {parsed.type_name}, not a lon/lat or projected CRS; {_CRS_EXPECTED}"
        )
    return SourceCRS(str(crs), crs=parsed)


def xy_to_wgs84(
    p: Path, x: np.ndarray, y: np.ndarray, rows: np.ndarray, src: SourceCRS | None
) -> tuple[np.ndarray, np.ndarray]:
    """
    WGS-84 lon/lat of coordinates given in ``src`` (``None``: WGS-84 lon/lat).

    ``rows`` are the 0-based data rows of the coordinates, for messages.
    """
    if src is None or not src.projected:
        _check_lonlat(p, x, y, rows)
    if src is None or src.datum == "wgs84":
        return x, y
    if src.datum is not None:
        from planner.io.datums import to_wgs84

        lon, lat = to_wgs84(np.asarray(x, float), np.asarray(y, float), src.datum)
        return np.asarray(lon, float), np.asarray(lat, float)
    to_ll = pyproj.Transformer.from_crs(src.crs, "EPSG:4326", always_xy=True)
    lon, lat = (np.asarray(v, float) for v in to_ll.transform(x, y))
    if src.projected:
        _check_area(p, x, y, lon, lat, rows, src, to_ll)
    return lon, lat


def _check_lonlat(p: Path, x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> None:
    """Refuse coordinates that are not lon/lat: swapped (the hint) or projected metres (ask for the CRS)."""
    bad = ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    xi, yi, row = float(x[i]), float(y[i]), int(rows[i]) + 1
    if abs(xi) <= 90 and abs(yi) <= 180:
        raise InputError(
            f"{p}: row {row} has lon={xi:g}, lat={yi:g}, outside lon [-180, 180] / lat [-90, 90] (lon and lat swapped?)"
        )
    if max(abs(xi), abs(yi)) < 1000:
        raise InputError(f"{p}: row {row} has lon={xi:g}, lat={yi:g}, outside lon [-180, 180] / lat [-90, 90]")
    guess = (
        _guess_projection(xi, yi)
        or "EPSG:4547 (or the code of your projection: 4547 is CGCS2000 / 3-degree Gauss-Kruger CM 114E)"
    )
    raise InputError(
        f"{p}: row {row} has x={xi:.12g}, y={yi:.12g}, which look like projected metres, not lon/lat; "
        f"give their CRS with --input-crs {guess}"
    )


def _guess_projection(x: float, y: float) -> str | None:
    """The likely CGCS2000 Gauss-Kruger code of an easting with its zone number in front (39512345: zone 39)."""
    for value, axis in ((x, "x"), (y, "y")):
        zone, rest = divmod(abs(value), 1_000_000)
        zone = int(zone)
        if not 0 < rest < 1_000_000 or abs(value) >= 1e8:
            continue
        if 25 <= zone <= 45:
            code, kind = 4513 + zone - 25, f"3-degree Gauss-Kruger zone {zone}"
        elif 13 <= zone <= 23:
            code, kind = 4491 + zone - 13, f"Gauss-Kruger zone {zone}"
        else:
            continue
        swapped = "; x and y look swapped (the easting is in y)" if axis == "y" else ""
        return (
            f"EPSG:{code} (CGCS2000 / {kind}, from the {zone} in front of {axis}; or the code of your "
            f"projection){swapped}"
        )
    return None


def _check_area(
    p: Path,
    x: np.ndarray,
    y: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    rows: np.ndarray,
    src: SourceCRS,
    to_ll: pyproj.Transformer,
) -> None:
    """Refuse projected coordinates that land outside the area their CRS is made for."""
    crs = src.crs
    assert crs is not None  # only called for a projected src
    ok = np.isfinite(lon) & np.isfinite(lat)
    area = crs.area_of_use
    if area is not None and area.west <= area.east:
        m = _AREA_MARGIN_DEG
        ok &= (lon >= area.west - m) & (lon <= area.east + m) & (lat >= area.south - m) & (lat <= area.north + m)
    if ok.all():
        return
    i = int(np.flatnonzero(~ok)[0])
    where = (
        f"land at lon={lon[i]:.5f}, lat={lat[i]:.5f}"
        if np.isfinite(lon[i]) and np.isfinite(lat[i])
        else "cannot be converted"
    )
    inside = f" (lon {area.west:g}..{area.east:g}, lat {area.south:g}..{area.north:g})" if area is not None else ""
    hint = "check --input-crs"
    zone = abs(float(x[i])) // 1_000_000
    false_easting = _false_easting(crs)
    if area is not None:
        sx, sy = to_ll.transform(float(y[i]), float(x[i]))
        if np.isfinite(sx) and area.west - 1 <= sx <= area.east + 1 and area.south - 1 <= sy <= area.north + 1:
            hint = "x and y look swapped (Chinese survey tables put the northing in X): put the easting in x"
    if hint == "check --input-crs" and false_easting >= 1_000_000 and zone == 0:
        code = crs.to_epsg() or 0
        cm = (
            f"EPSG:{4534 + code - 4513}"
            if 4513 <= code <= 4533
            else f"EPSG:{4502 + code - 4491}"
            if 4491 <= code <= 4501
            else "the code without the zone number"
        )
        hint = (
            f"x has no zone number in front ({src.label} eastings start with {int(false_easting // 1_000_000)}): "
            f"use --input-crs {cm}"
        )
    elif hint == "check --input-crs" and abs(float(x[i])) <= 180 and abs(float(y[i])) <= 90:
        hint = (
            f"they look like lon/lat degrees, not metres: leave out --input-crs {src.label} "
            "or give wgs84, gcj02 or bd09"
        )
    elif hint == "check --input-crs" and false_easting < 1_000_000 and zone >= 1:
        guess = _guess_projection(float(x[i]), float(y[i]))
        hint = f"x has a zone number in front: use --input-crs {guess}" if guess else hint
    raise InputError(
        f"{p}: row {int(rows[i]) + 1} has x={float(x[i]):.12g}, y={float(y[i]):.12g}, which in "
        f"{src.label} {where}, outside its area{inside}; {hint}"
    )


def _false_easting(crs: pyproj.CRS) -> float:
    """The false easting of a projected CRS in metres (Gauss-Kruger codes with the zone number: 38500000)."""
    operation = crs.coordinate_operation
    for param in operation.params if operation is not None else ():
        if param.name.lower() == "false easting":
            return float(param.value)
    return 0.0
