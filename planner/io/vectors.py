"""Reading GIS files (GeoJSON, GPKG, shapefile with its sidecars) and bringing them to WGS-84."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from planner.errors import InputError
from planner.io.crs import SourceCRS, xy_to_wgs84
from planner.io.encodings import decode_text

__all__ = ["read_vector", "vector_to_wgs84"]

log = logging.getLogger("planner.io")


#: what a shapefile that cannot be read should have been
_SHAPEFILE_EXPECTED = "expected its .shp, .shx and .dbf (and .prj, .cpg) files whole and side by side; export it again"


def read_vector(p: Path, what: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read a GeoJSON / GPKG / shapefile; return it and the encoding of a shapefile's attributes."""
    suffix = p.suffix.lower()
    encoding = None
    options: dict[str, str] = {}
    if suffix == ".shp":
        parts = _shapefile_parts(p, what)
        if ".cpg" in parts:
            encoding = parts[".cpg"].read_text(encoding="ascii", errors="replace").strip() or None
        else:
            _, encoding = decode_text(
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
        if suffix == ".shp":
            raise InputError(
                f"{p}: not a readable shapefile of {what} ({type(exc).__name__}); {_SHAPEFILE_EXPECTED}"
            ) from None
        raise InputError(
            f"{p}: not a readable {suffix} file of {what} ({type(exc).__name__}); expected a valid {suffix} file "
            "(export it again)"
        ) from None
    return gdf, encoding


def _shapefile_parts(p: Path, what: str) -> dict[str, Path]:
    """
    The ``.dbf``, ``.shx`` (and ``.cpg``) of the shapefile ``p``, once its parts are checked to be there and whole.

    GDAL reads a ``.shp`` cut short as rows without geometry, which would then be dropped
    without a word; the headers say how long each part must be.

    Raises
    ------
    InputError
        One line naming the file: a ``.shx`` or ``.dbf`` missing, a part without its header,
        cut short, or a ``.dbf`` whose rows do not match the shapes.
    """

    def refuse(reason: str) -> InputError:
        return InputError(f"{p}: not a readable shapefile of {what} ({reason}); {_SHAPEFILE_EXPECTED}")

    parts = {ext: q for ext in (".dbf", ".shx", ".cpg") if (q := _sidecar(p, ext)) is not None}
    for part, role in ((".shx", "index"), (".dbf", "attribute")):
        if part not in parts:
            raise refuse(f"the {part} {role} file is missing")
    try:
        shp_size = p.stat().st_size
        with p.open("rb") as f:
            shp_head = f.read(100)
        shx = parts[".shx"].read_bytes()
        dbf_size = parts[".dbf"].stat().st_size
        with parts[".dbf"].open("rb") as f:
            dbf_head = f.read(32)
    except OSError as exc:
        raise refuse(type(exc).__name__) from None
    # the main file and the index: a 100-byte header (file code 9994, big-endian; the length in 16-bit words),
    # then, in the index, each shape's offset and length in words, 8 bytes a shape
    if len(shp_head) < 100 or int.from_bytes(shp_head[:4], "big") != 9994:
        raise refuse("the .shp has no shapefile header")
    declared = 2 * int.from_bytes(shp_head[24:28], "big")
    if shp_size < declared:
        raise refuse(f"the .shp is cut short: {shp_size:,} of {declared:,} bytes")
    if len(shx) < 100 or int.from_bytes(shx[:4], "big") != 9994 or (len(shx) - 100) % 8:
        raise refuse("the .shx is not a whole shapefile index")
    shapes = np.frombuffer(shx, dtype=">i4", offset=100).reshape(-1, 2).astype(np.int64)
    end = int((2 * shapes.sum(axis=1) + 8).max()) if len(shapes) else 100
    if end > shp_size:
        raise refuse(f"the .shp is cut short: its last shape ends at byte {end:,} of {shp_size:,}")
    # the attributes: a 32-byte header (rows, header length, row length; little-endian), then the rows
    if len(dbf_head) < 32:
        raise refuse("the .dbf has no dBase header")
    rows = int.from_bytes(dbf_head[4:8], "little")
    needed = int.from_bytes(dbf_head[8:10], "little") + rows * int.from_bytes(dbf_head[10:12], "little")
    if dbf_size < needed:
        raise refuse(f"the .dbf is cut short: {dbf_size:,} of {needed:,} bytes")
    if rows != len(shapes):
        raise refuse(f"row count {rows:,} in the .dbf, shape count {len(shapes):,} in the .shx")
    return parts


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


def vector_to_wgs84(p: Path, gdf: gpd.GeoDataFrame, src: SourceCRS | None) -> gpd.GeoDataFrame:
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
        src = SourceCRS(declared.to_string(), crs=declared)  # lon / lat: checked for range and order below
    if len(gdf) == 0:
        return gdf.set_crs("EPSG:4326", allow_override=True)
    geoms = gdf.geometry.values
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    rows = gdf.index.to_numpy()[index]
    x, y = coords[:, 0], coords[:, 1]
    lon, lat = xy_to_wgs84(p, x, y, rows, src)
    out = gdf.set_crs("EPSG:4326", allow_override=True)
    if lon is not x:
        moved = np.column_stack([lon, lat])
        out[out.geometry.name] = gpd.GeoSeries(
            shapely.transform(np.asarray(geoms), lambda _: moved), index=gdf.index, crs="EPSG:4326"
        )
    return out
