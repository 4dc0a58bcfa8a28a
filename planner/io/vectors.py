"""Reading GIS files (GeoJSON, GPKG, shapefile with its sidecars) and bringing them to WGS-84."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..errors import InputError
from .crs import _SourceCRS, _xy_to_wgs84
from .encodings import _decode

__all__ = ["_read_vector", "_vector_to_wgs84"]

log = logging.getLogger("planner.io")


def _read_vector(p: Path, what: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read a GeoJSON / GPKG / shapefile; return it and the encoding of a shapefile's attributes."""
    suffix = p.suffix.lower()
    encoding = None
    options: dict[str, str] = {}
    if suffix == ".shp":
        parts = {ext: q for ext in (".dbf", ".shx", ".cpg") if (q := _sidecar(p, ext)) is not None}
        for part, role in ((".dbf", "attributes"), (".shx", "index")):
            if part not in parts:
                raise InputError(
                    f"{p}: its {part} file ({role}) is missing; expected the shapefile's .shp, .shx, "
                    ".dbf (and .prj, .cpg) files side by side"
                )
        if ".cpg" in parts:
            encoding = parts[".cpg"].read_text(encoding="ascii", errors="replace").strip() or None
        else:
            _, encoding = _decode(
                parts[".dbf"],
                _dbf_text(parts[".dbf"]),
                f"{what} attributes",
                "add a .cpg file naming the encoding (e.g. GBK), or export the shapefile again",
            )
            encoding = "utf-8" if encoding.startswith("utf-8") else encoding
            options["encoding"] = encoding
            log.info("%s: no .cpg; attributes read as %s", p, encoding)
    try:
        gdf = gpd.read_file(p, **options)
    except Exception as exc:
        raise InputError(f"{p}: not a readable {suffix} file ({type(exc).__name__}); expected {what} points") from None
    return gdf, encoding


def _sidecar(shp: Path, ext: str) -> Path | None:
    """The ``.dbf`` / ``.shx`` / ``.cpg`` file next to ``shp`` (either case), or ``None``."""
    for suffix in (ext, ext.upper()):
        q = shp.with_suffix(suffix)
        if q.exists():
            return q
    return None


def _dbf_text(dbf: Path) -> bytes:
    """The bytes of a dBase file that hold text: its field names and its records."""
    data = dbf.read_bytes()
    if len(data) < 32:
        return b""
    header_len = int.from_bytes(data[8:10], "little")
    names = []
    for start in range(32, min(header_len, len(data)) - 31, 32):
        if data[start] == 0x0D:
            break
        names.append(data[start : start + 11].split(b"\x00", 1)[0])
    return b"\n".join(names) + b"\n" + data[header_len:].rstrip(b"\x1a")


def _vector_to_wgs84(p: Path, gdf: gpd.GeoDataFrame, src: _SourceCRS | None) -> gpd.GeoDataFrame:
    """
    ``gdf`` in EPSG:4326: a declared CRS other than WGS-84 is kept, else ``src`` wins over the declared one.

    A file that declares a projected CRS, or a geographic one other than WGS-84 (CGCS2000,
    EPSG:4490: a bureau's census polygons), is read in it whatever ``--input-crs`` says, with a
    warning: such a file is never GCJ-02 / BD-09. WGS-84 is what GeoJSON always declares, so
    there ``src`` (a GCJ-02 export, say) decides.
    """
    declared = gdf.crs
    wgs84 = declared is None or declared.to_epsg() == 4326 or (declared.is_geographic and "WGS 84" in declared.name)
    if not wgs84:
        kind = "geographic" if declared.is_geographic else "projected"
        if src is not None and not (src.crs is not None and src.crs.equals(declared)):
            warnings.warn(
                f"{p}: declares {declared.name} ({kind}); its coordinates are read in it and the "
                f"input CRS {src.label!r} is ignored",
                UserWarning,
                stacklevel=3,
            )
        if not declared.is_geographic:
            return gdf.to_crs("EPSG:4326")
        src = _SourceCRS(declared.to_string(), crs=declared)  # lon / lat: checked for range and order below
    if len(gdf) == 0:
        return gdf.set_crs("EPSG:4326", allow_override=True)
    geoms = gdf.geometry.values
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    rows = gdf.index.to_numpy()[index]
    x, y = coords[:, 0], coords[:, 1]
    lon, lat = _xy_to_wgs84(p, x, y, rows, src)
    out = gdf.set_crs("EPSG:4326", allow_override=True)
    if lon is not x:
        moved = np.column_stack([lon, lat])
        out[out.geometry.name] = gpd.GeoSeries(
            shapely.transform(np.asarray(geoms), lambda _: moved), index=gdf.index, crs="EPSG:4326"
        )
    return out
