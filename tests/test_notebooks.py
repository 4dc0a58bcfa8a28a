"""The notebooks run top to bottom and show what they promise.

Each notebook is executed with nbclient in a temporary copy of the project
(``notebooks/`` and ``data/``, with ``../shared`` linked when present), so no
output lands in the repository. The kernel is the ``python3`` kernel of the
interpreter running the tests (checked). Beyond "no cell failed", each test
checks real content: a Leaflet map in a ``text/html`` output, plots as
``image/png``, and the printed figures against :func:`planner.plan` on the
same data. The quickstart runs in the default suite (about 15 s); 02 and 03
(about 15 s and 30 s) are marked slow.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import planner

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (pip install -e '.[test]')")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SHARED = REPO.parent / "shared"
EXISTING = REPO / "data" / "sample_existing.csv"

#: printed by the last cell the test appends: the kernel's interpreter
KERNEL_CHECK = "import sys; print('KERNEL-PYTHON', sys.executable)"


def execute(name: str, tmp_path: Path):
    """Run ``notebooks/name`` in a copy of the project under ``tmp_path``.

    Returns the executed notebook, the copy's root and the wall time in seconds.
    """
    before = sorted(p.name for p in NOTEBOOKS.iterdir())
    work = tmp_path / "project"
    shutil.copytree(NOTEBOOKS, work / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(REPO / "data", work / "data")
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    nb = nbformat.read(work / "notebooks" / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(KERNEL_CHECK))
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        allow_errors=False,
        resources={"metadata": {"path": str(work / "notebooks")}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError naming the cell on any error
    seconds = time.perf_counter() - started
    print(f"{name}: {seconds:.1f} s")
    assert sorted(p.name for p in NOTEBOOKS.iterdir()) == before, "executing wrote into the repository's notebooks/"
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert f"KERNEL-PYTHON {sys.executable}" in stdout(nb), "the kernel is not this interpreter"
    return nb, work, seconds


def outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def stdout(nb) -> str:
    return "".join(
        o.get("text", "") for o in outputs(nb) if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


def rich(nb, mime: str) -> list[str]:
    return [o["data"][mime] for o in outputs(nb) if mime in o.get("data", {})]


def leaflet_maps(nb) -> int:
    return sum("leaflet" in html.lower() and "L.map(" in html for html in rich(nb, "text/html"))


def printed(text: str, label: str) -> str:
    """The value printed after ``label:`` (first occurrence)."""
    match = re.search(rf"^{re.escape(label)}: (.+)$", text, re.M)
    assert match, f"the notebook did not print {label!r}"
    return match.group(1)


def plan_figures(text: str) -> tuple[int, float, float]:
    """Stations, covered and total population as the notebooks print them."""
    n = int(printed(text, "stations"))
    found = re.match(r"([\d,.]+) of ([\d,.]+)", printed(text, "population covered"))
    assert found, text
    covered, total = found.groups()
    return n, float(covered.replace(",", "")), float(total.replace(",", ""))


def test_quickstart(tmp_path, helsinki):
    nb, work, _ = execute("01_quickstart.ipynb", tmp_path)
    text = stdout(nb)
    ref = planner.plan(planner.Study(network=helsinki[0]))
    n, covered, total = plan_figures(text)
    assert n == planner.plan_summary(ref)["n_stations"]
    assert covered == pytest.approx(planner.plan_summary(ref)["population_covered"], abs=0.05)
    assert total == pytest.approx(planner.plan_summary(ref)["population_total"], abs=0.05)
    assert "same stations as step 5: True" in text
    assert f"{planner.plan_summary(ref)['n_stations']} stations cover" in text  # step 5, planner.solve by hand
    assert leaflet_maps(nb) == 1
    assert len(rich(nb, "image/png")) >= 1
    # the files went into the copy, and they are the plan's
    summary = json.loads((work / "maps" / "quickstart" / "summary.json").read_text())
    assert summary["n_stations"] == planner.plan_summary(ref)["n_stations"]
    assert (work / "maps" / "quickstart" / "plan.html").stat().st_size > 10_000


@pytest.mark.slow  # about 15 s; the default suite keeps the quickstart only
def test_existing_stations_and_curve(tmp_path, helsinki):
    nb, _, _ = execute("02_existing_stations_and_curve.ipynb", tmp_path)
    text = stdout(nb)
    ref = planner.plan(planner.Study(existing=EXISTING, network=helsinki[0]))
    n_existing = int(ref.stations["existing"].sum())
    assert n_existing == len(pd.read_csv(EXISTING))
    assert f"stations with existing kept: {planner.plan_summary(ref)['n_stations']} ({n_existing} existing +" in text
    # the curve's 100 % point is the lscp minimum
    needed = dict(re.findall(r"(\d+%) -> (\d+|None)", printed(text, "stations needed")))
    assert needed["100%"] == str(planner.plan_summary(ref)["n_stations"])
    # the comparison table holds the three rules
    tables = "".join(rich(nb, "text/html"))
    for rule in ("lscp", f"mclp (p={needed['90%']})", "tiers", "within 5 min", "mean walk (min)"):
        assert rule in tables
    assert leaflet_maps(nb) == 1
    assert len(rich(nb, "image/png")) >= 2  # the curve and the life-circle bars


@pytest.mark.slow  # reads the shared Porto extract twice (notebook and reference): about 30 s
def test_your_town(tmp_path):
    nb, work, _ = execute("03_your_town.ipynb", tmp_path)
    text = stdout(nb)
    pbfs = (
        sorted((SHARED / "data" / "osm").glob("*.osm.pbf"), key=lambda p: p.stat().st_size) if SHARED.is_dir() else []
    )
    source = pbfs[0] if pbfs else None
    expected = source.name if source else "embedded default (central Helsinki)"
    assert f"source: {expected}" in text
    ref = planner.plan(planner.Study(source=source))
    n, covered, total = plan_figures(text)
    assert n == planner.plan_summary(ref)["n_stations"]
    assert covered == pytest.approx(planner.plan_summary(ref)["population_covered"], abs=0.05)
    assert total == pytest.approx(planner.plan_summary(ref)["population_total"], abs=0.05)
    summary = json.loads((work / "maps" / "your_town" / "summary.json").read_text())
    assert summary["n_stations"] == n
    assert leaflet_maps(nb) >= 1
    assert len(rich(nb, "image/png")) >= 2  # walking minutes and the ranking
    # the place-name cell either planned the place or said why it skipped; it never failed
    download = [c for c in nb.cells if c.cell_type == "code" and "def online" in c.source]
    assert len(download) == 1
    said = "".join(o.get("text", "") for o in download[0].get("outputs", []))
    assert said.startswith("skipped: ") or "stations cover" in said, said
