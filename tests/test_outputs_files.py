"""Writing the outputs (planner/outputs/files.py, folder.py): interrupted runs and a full disk leave the
previous outputs whole and no temporary file; two runs write the same bytes; summary.json and the GeoJSON are
strict JSON (no NaN), even for a home that nothing reaches."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import planner
import planner.outputs.files
import planner.runs.pipeline
from planner.cli import main
from planner.outputs.files import json_text

DATA = Path(__file__).resolve().parents[1] / "data"
PLAN_FILES = (
    "isochrones.geojson",
    "plan.gpkg",
    "plan.html",
    "report.html",
    "stations.csv",
    "stations.geojson",
    "stations.xlsx",
    "summary.json",
    "unreachable.csv",
)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One ordinary ``planner plan`` run on the embedded default."""
    out = tmp_path_factory.mktemp("baseline")
    assert main(["plan", "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(PLAN_FILES)
    return out


# ----------------------------------------------------------------- interruption


def test_sigint_before_solving_keeps_previous_outputs(baseline, tmp_path, monkeypatch, capsys):
    out = tmp_path / "maps"
    shutil.copytree(baseline, out)  # the outputs of an earlier `planner plan --out maps -q`
    before = _snapshot(out)

    real_solve = planner.runs.pipeline.solve
    reached, went_on = [], []

    def interrupted_solve(*args, **kwargs):
        reached.append(True)
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C
        time.sleep(5)  # the interrupt ends the sleep: nothing below it runs
        went_on.append(True)
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(planner.runs.pipeline, "solve", interrupted_solve)
    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = main(["plan", "--out", str(out), "-q"])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped planner.cli.main (a user would see a traceback)")
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    err = capsys.readouterr().err

    assert reached, "the run never reached the solver"
    assert not went_on, "the interrupt did not stop the run"
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err
    after = _snapshot(out)
    assert sorted(after) == sorted(before), f"files changed: {sorted(set(after) ^ set(before))}"
    for name in before:
        assert after[name] == before[name], f"{name} changed although the run was interrupted"
    assert not [n for n in after if n.startswith(".")], "temporary files left behind"


class _FailingText(str):
    """Text whose encoding fails, like a write that hits Ctrl-C or a full disk."""

    def __new__(cls, text, exc):
        obj = super().__new__(cls, text)
        obj.exc = exc
        return obj

    def encode(self, *args, **kwargs):
        raise self.exc


def test_write_interrupted_mid_file_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "maps"
    planner.outputs.files.write_outputs(out, {"a.json": "old a\n", "b.json": "old b\n"})
    before = _snapshot(out)
    with pytest.raises(KeyboardInterrupt):
        planner.outputs.files.write_outputs(
            out, {"a.json": "new a\n", "b.json": _FailingText("new b\n", KeyboardInterrupt())}
        )
    after = _snapshot(out)
    assert after == before
    assert not [n for n in after if n.startswith(".")], f"temporary files left behind: {sorted(after)}"


def test_full_disk_is_one_error_line_and_no_temporary_file(tmp_path, monkeypatch, capsys):
    cm = tmp_path / "cm.csv"
    cm.write_text("demand_id,site_id,minutes\nh1,s1,3\nh2,s1,4\n")
    out = tmp_path / "out"
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real_json_text = planner.outputs.files.json_text
    monkeypatch.setattr(planner.outputs.files, "json_text", lambda obj: _FailingText(real_json_text(obj), full))
    try:
        code = main(["optimize", "--cost-matrix", str(cm), "--radius", "5", "--out", str(out), "-q"])
    except OSError as exc:
        pytest.fail(f"OSError escaped planner.cli.main (a user would see a traceback): {exc}")
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "No space left" in lines[0], lines
    assert code in (1, 2)
    assert not out.exists() or not list(out.iterdir()), sorted(p.name for p in out.iterdir())


# ----------------------------------------------------------------- determinism


def test_plan_is_repeatable(baseline, tmp_path):
    again = tmp_path / "again"
    assert main(["plan", "--out", str(again), "-q"]) == 0
    for name in ("stations.geojson", "isochrones.geojson", "unreachable.csv", "report.html"):
        assert (again / name).read_bytes() == (baseline / name).read_bytes(), f"{name} differs between two runs"
    first = json.loads((baseline / "summary.json").read_text(encoding="utf-8"))
    second = json.loads((again / "summary.json").read_text(encoding="utf-8"))
    first.pop("seconds")
    second.pop("seconds")
    assert first == second


def test_score_csv_is_repeatable(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["score", "--csv", str(a), "-q"]) == 0
    assert main(["score", "--csv", str(b), "-q"]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_bytes().splitlines()) > 2


# ----------------------------------------------------------------- strict JSON


def strict_json(text: str):
    """Parse ``text`` as JSON, failing on the NaN / Infinity that Python's json accepts."""

    def refuse(constant):
        raise ValueError(f"not valid JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_json_text_writes_null_for_non_finite_numbers():
    text = json_text(
        {
            "a": float("nan"),
            "b": [np.float64("inf"), np.array([1.0, np.nan])],
            "c": {"d": -np.inf, "e": np.int64(3), "f": np.bool_(True), "g": pd.NA},
        }
    )
    assert strict_json(text) == {"a": None, "b": [None, [1.0, None]], "c": {"d": None, "e": 3, "f": True, "g": None}}


def two_street_network() -> nx.MultiDiGraph:
    """Two streets in UTM 50N, 3 km apart and not joined: nothing on one reaches the other."""
    G = nx.MultiDiGraph(crs="EPSG:32650", speed_kmh=4.8, simplified=True)
    streets = {
        "a": [(500_000.0, 3_130_000.0), (500_200.0, 3_130_000.0), (500_400.0, 3_130_000.0)],
        "b": [(503_000.0, 3_130_000.0), (503_200.0, 3_130_000.0)],
    }
    node = 0
    for points in streets.values():
        ids = []
        for x, y in points:
            G.add_node(node, x=x, y=y)
            ids.append(node)
            node += 1
        for (u, a), (v, b) in zip(zip(ids, points), zip(ids[1:], points[1:])):
            for s, t, line in ((u, v, shapely.LineString([a, b])), (v, u, shapely.LineString([b, a]))):
                G.add_edge(s, t, geometry=line, length=line.length, minutes=line.length / 80.0)
    return G


def lonlat(x, y):
    return pyproj.Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True).transform(x, y)


def test_unreachable_home_gives_strict_summary_json(tmp_path):
    G = two_street_network()
    homes = [("h-near", 500_100.0, 3_130_010.0, 120.0), ("h-far", 503_100.0, 3_130_010.0, 80.0)]
    demand = tmp_path / "homes.csv"
    demand.write_text(
        "demand_id,lon,lat,population\n"
        + "".join("{},{:.7f},{:.7f},{}\n".format(i, *lonlat(x, y), p) for i, x, y, p in homes),
        encoding="utf-8",
    )
    candidates = tmp_path / "sites.csv"
    candidates.write_text(
        "site_id,name,lon,lat\nc1,Corner room,{:.7f},{:.7f}\n".format(*lonlat(500_150.0, 3_129_995.0)), encoding="utf-8"
    )
    result = planner.plan(planner.Study(demand=demand, candidates=candidates, network=G))
    (row,) = planner.plan_summary(result)["unreachable"]
    assert row["demand_id"] == "h-far" and row["nearest_site_id"] is None
    assert row["nearest_minutes"] is None  # was NaN, which JSON cannot hold
    planner.write(result, tmp_path / "out", offline=True)
    summary = strict_json((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["n_uncoverable"] == 1
    assert summary["unreachable"] == [
        {
            "demand_id": "h-far",
            "population": 80.0,
            "lon": row["lon"],
            "lat": row["lat"],
            "reason": "no candidate within 5 min",
            "street_m": 10.0,
            "nearest_site_id": None,
            "nearest_site_name": None,
            "nearest_minutes": None,
        }
    ]
    for name in ("stations.geojson", "isochrones.geojson"):
        strict_json((tmp_path / "out" / name).read_text(encoding="utf-8"))
    # the map still explains the home: no candidate within an hour's walk
    page = (tmp_path / "out" / "plan.html").read_text(encoding="utf-8")
    assert "no candidate within an hour" in page
    csv = pd.read_csv(tmp_path / "out" / "unreachable.csv")
    assert csv["nearest_minutes"].isna().all()
