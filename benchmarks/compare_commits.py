"""Every benchmark of this checkout against a reference commit, in one run, figure by figure (issue 29).

The reference commit is checked out as a git worktree beside this one (``../ref-<short sha>``, made with
``git worktree add --detach`` when missing, reused when it is already there at that commit). Each
benchmark script then runs in both trees, each tree running *its own copy* of the script (the two
copies may import different module paths), as a subprocess with ``PYTHONPATH=<tree root>`` and a
fresh temporary working directory. The runs alternate (ref, new, then new, ref, ...) so that both
trees share the machine's noise; ``--repeat N`` runs each side N times.

Which ``planner`` a run imports: the venv has /work/main installed *editable*, through setuptools'
``_EditableFinder``, which sits on ``sys.meta_path`` after the ``PathFinder``. ``PYTHONPATH`` wins for
``import planner`` itself, but the finder maps ``planner``'s *immediate submodules* onto
/work/main/planner: a submodule missing from the tree under test (one the move added, or an
``except ImportError`` fallback) would be imported silently from /work/main. Every run therefore
gets a small ``sitecustomize.py`` put first on ``PYTHONPATH`` (no interpreter flag does it: ``-I``
drops ``PYTHONPATH`` and still runs the ``.pth`` files, ``-P`` only drops the script's folder from
``sys.path``, ``-S`` drops site-packages whole); it takes
the finder off ``sys.meta_path`` (``site`` imports ``sitecustomize`` after the ``.pth`` files) and, at
exit, writes down the file of every ``planner`` module the process imported. It is inherited by the
processes a benchmark starts itself (``bench_network``'s readers, dask's workers, ...), except those
that set ``PYTHONPATH`` themselves (``bench_plan``'s children: they check ``planner.__file__``
themselves). A run that imported ``planner`` from outside its tree fails the comparison. The first
subprocess of each tree prints where ``planner`` comes from, with and without the guard.

Pairing the figures: the reference's scripts cannot be changed, so everything is read from stdout.

* JSON documents printed on stdout (one line or indented) are flattened to ``path/to/key`` figures
  (list items named by their ``instance`` / ``model`` / ``name`` / ``file`` fields).
* Every other line: its numbers are masked (``#``) and each number named by where it stands:
  Markdown table rows by their leading cells and the column's header, fixed-width tables (a header
  of three or more fields, columns found by the character positions blank in every row) likewise,
  any other line by its own text around the number. Lines without numbers are compared as text.
  Figures are paired by that name, so a line whose words changed shows as "only in ref" / "only in
  new" (and fails), as does a number that is printed on one side only.
* The tree's own path is replaced by ``<tree>`` before anything is compared.

Kinds of figure: **time** (unit ``s`` / ``ms``, a column or key naming seconds, wall, time: the
best, i.e. smallest, of the repeats), **rate** (``x`` ratios, speed-ups, ``MB/s``, new / ref: the
median of the repeats), **memory** (``MB`` of a peak / RSS: the median) and **exact** (everything
else: counts, optimum values, statuses, hashes; must be equal, and equal in every repeat). Time, rate
and memory must be within ``--tolerance`` (10 %) of the reference, or differ by no more than the
printed resolution plus ``--floor`` seconds (timings only; 10 ms by default: a 4 ms stage cannot be
measured to 10 %). Figures about the machine rather than the code (load averages) are left out, as
are ``bench_plan``'s single rounds (its medians are compared). Each run also gives three figures of
its own: its wall time, its exit status and the number of ``planner`` modules imported from outside
its tree (must be 0).

Printed: progress on stderr; on stdout one Markdown table (benchmark, figure, kind, ref, new,
new / ref, within 10 %), a summary per benchmark and the worst ratio; exit status 1 when any figure
fails or is unpaired.

Benchmarks and the arguments they run with (``--quick`` uses the second set):

* ``bench_coverage.py`` (``--quick``), ``bench_network.py`` (has no quick mode: always whole),
* ``bench_median.py --planner-only`` (``--quick --planner-only``),
* ``bench_optimize.py --no-spopt --no-baseline`` (``--quick ...``),
* ``bench_plan.py --reference <ref worktree> --commit <ref> --repeat 3`` (``--repeat 1 --data default``):
  both trees' copies time the reference commit against their own tree, so the new tree's run is a
  paired comparison of its own; its ``ref`` columns are the same code in both runs,
* ``bench_scale.py`` (``--side 200 --sites 2000 --homes 20000``),
* ``bench_whatif.py`` (``--homes 5000 --sites 250 --toggles 50``).

spopt + CBC and the plain HiGHS model are not Station Planner's code (a move cannot change them) and
take hours at full size (spopt's p-center alone hits its 600 s limit from 300 nodes up), so they are
skipped unless ``--with-external``. The helper modules (``optimize_instances.py``,
``plan_runner.py``) are run by the benchmarks that use them.

Time: one full-mode run of every benchmark takes about 16 minutes here (``FULL_SECONDS``: plan 316 s,
network 230 s, coverage 159 s, median 158 s, optimize 51 s, scale 41 s, whatif 13 s, on the shared
2-core machine with other work running), so the whole comparison takes about ``2 x --repeat`` times
that: some 65 minutes with the default ``--repeat 2`` (the self-test below: 56). ``--quick``: about 21
minutes with ``--repeat 2``, two thirds of it ``bench_network``, which has no quick mode.

Self-test (af614a4 against a second worktree of af614a4, other agents loading the machine): every exact
figure equal (980 in full mode, 4 runs each), but with best-of-2 only 62 of the 146 timings of 1 s or
more within 10 % (worst 1.87x; a sub-second stage up to 6x, where ``bench_coverage``'s guixi run puts
a one-off cost in "demand" or in "candidates" from run to run). On a shared machine the timings need a
quiet hour or a larger ``--repeat``; a failing row says when one side's own runs differ by more than
the tolerance. ``--from-json`` re-reads a saved run (``--json``) without running anything.

Run: python benchmarks/compare_commits.py [--ref af614a4] [--quick] [--repeat 2] [--only plan median]
     [--json runs.json] [--from-json runs.json] [--failures]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REF = "af614a4"
TOLERANCE = 0.10
FLOOR_SECONDS = 0.01
ORIGINS_ENV = "COMPARE_COMMITS_ORIGINS"


@dataclass(frozen=True)
class Bench:
    """One benchmark script and the arguments it runs with; ``{ref_tree}`` and ``{ref}`` are filled in."""

    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] | None = None  # None: no quick mode, the full run
    internal: tuple[str, ...] = ()  # flags skipping what is not Station Planner's code (not with --with-external)
    ignore: str = ""  # a regex: figures of these names are not compared

    def argv(self, quick: bool, external: bool, **names: str) -> list[str]:
        args = self.quick if quick and self.quick is not None else self.full
        if not external:
            args = (*args, *self.internal)
        return [a.format(**names) for a in args]


PLAN = ("--reference", "{ref_tree}", "--commit", "{ref}")
BENCHES = {
    "coverage": Bench("bench_coverage.py", quick=("--quick",)),
    "median": Bench("bench_median.py", quick=("--quick",), internal=("--planner-only",)),
    "network": Bench("bench_network.py"),
    "optimize": Bench("bench_optimize.py", quick=("--quick",), internal=("--no-spopt", "--no-baseline")),
    "plan": Bench(
        "bench_plan.py",
        full=(*PLAN, "--repeat", "3"),
        quick=(*PLAN, "--repeat", "1", "--data", "default"),
        ignore=r"runs ref",  # each round's wall time: the table's medians summarise them
    ),
    "scale": Bench("bench_scale.py", quick=("--side", "200", "--sites", "2000", "--homes", "20000")),
    "whatif": Bench("bench_whatif.py", quick=("--homes", "5000", "--sites", "250", "--toggles", "50")),
}

#: wall seconds of one full-mode run of each, with the arguments above (external solvers skipped): one serial run of
#: af614a4's copies, other agents' work loading the 2 cores (load average 4 to 7), so a guide only
FULL_SECONDS = {
    "coverage": 159,
    "median": 158,
    "network": 230,
    "optimize": 51,
    "plan": 316,
    "scale": 41,
    "whatif": 13,
}

# --------------------------------------------------------------------------- the trees and the runs

#: put first on PYTHONPATH of every run: no editable finder, and a record of where planner came from
SITECUSTOMIZE = r'''
"""compare_commits.py: planner from PYTHONPATH only (not /work/main's editable finder); its origin recorded."""
import atexit, os, sys

def _editable(finder):
    module = sys.modules.get(getattr(finder, "__module__", ""))
    return "planner" in getattr(module, "MAPPING", {})

sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]

def _record():
    path = os.environ.get("COMPARE_COMMITS_ORIGINS")
    files = sorted({getattr(m, "__file__", None) or "" for n, m in list(sys.modules.items())
                    if n == "planner" or n.startswith("planner.")})
    if path and files:
        with open(path, "a") as fh:
            fh.write("\n".join(f for f in files if f) + "\n")

atexit.register(_record)
'''

PROBE = r"""
import json, sys
import planner
print(json.dumps({"planner": planner.__file__,
                  "editable_finder": [repr(f) for f in sys.meta_path if "editable" in repr(f).lower()]}))
"""


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout.strip()


def reference_tree(ref: str, path: Path | None) -> tuple[Path, str]:
    """The worktree of ``ref`` (``../ref-<short sha>`` unless ``path``), added when missing; its full sha."""
    sha = git("rev-parse", f"{ref}^{{commit}}")
    path = path or ROOT.parent / f"ref-{sha[:7]}"
    if not path.exists():
        git("worktree", "add", "--detach", str(path), sha)
    head = git("rev-parse", "HEAD", cwd=path)
    if head != sha:
        raise SystemExit(f"{path} is at {head[:9]}, not {ref} ({sha[:9]}): remove it or pass --ref-tree")
    return path.resolve(), sha


def environment(tree: Path, guard: Path, origins: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(guard), str(tree)])
    env.pop("PYTHONHOME", None)
    if origins is not None:
        env[ORIGINS_ENV] = str(origins)
    return env


def probe(tree: Path, guard: Path) -> str:
    """Where a child of ``tree`` imports ``planner`` from, with the guard and (for the record) without it."""
    lines = []
    for label, env in (
        ("with the guard", environment(tree, guard, None)),
        ("PYTHONPATH alone", dict(os.environ, PYTHONPATH=str(tree))),
    ):
        done = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, cwd=tempfile.gettempdir()
        )
        if done.returncode != 0:
            raise SystemExit(f"import planner failed in {tree}:\n{done.stderr[-2000:]}")
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        lines.append(f"{label}: planner from {seen['planner']}; editable finder: {seen['editable_finder'] or 'none'}")
        if label == "with the guard" and (
            not Path(seen["planner"]).resolve().is_relative_to(tree) or seen["editable_finder"]
        ):
            raise SystemExit(f"cannot isolate {tree}: " + lines[-1])
    return "\n  ".join(lines)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float | None) -> tuple[str, str, int | str]:
    """Run ``cmd`` in a session of its own: on a timeout or ^C its whole process group goes (dask workers...)."""
    with subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
            return stdout, stderr, proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            return stdout, stderr + f"\n(compare_commits: killed after {timeout} s)", "timeout"
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            raise


def run_once(tree: Path, bench: Bench, argv: list[str], guard: Path, timeout: float | None) -> dict:
    """One run of ``tree``'s copy of the benchmark: stdout, the tail of stderr, exit status, wall seconds."""
    script = tree / "benchmarks" / bench.script
    with tempfile.TemporaryDirectory(prefix="compare_commits_") as tmp:
        origins = Path(tmp) / "planner_origins.txt"
        work = Path(tmp) / "work"
        work.mkdir()
        start = time.perf_counter()
        stdout, stderr, code = _run(
            [sys.executable, str(script), *argv], cwd=work, env=environment(tree, guard, origins), timeout=timeout
        )
        seconds = time.perf_counter() - start
        files = sorted(set(origins.read_text().split())) if origins.exists() else []
    outside = [f for f in files if not Path(f).resolve().is_relative_to(tree)]
    return {
        "stdout": stdout,
        "stderr_tail": stderr[-3000:],
        "exit": code,
        "seconds": seconds,
        "planner_modules": len(files),
        "outside": outside,
        "load": os.getloadavg()[0],
    }


# --------------------------------------------------------------------------- reading the figures

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?P<unit>x|%)?(?![\w.]*\w)")
UNIT_AFTER = re.compile(r"\s?(?P<unit>MB/s|ms|s|MB|GB|seconds)(?![\w/])")
TIME_UNITS = ("s", "ms", "seconds")  # not "min": walking minutes are parameters
TIME_WORDS = re.compile(r"(^|[^\w])(s|ms|sec|seconds?|wall|time|runs)($|[^\w])", re.I)
RATE_WORDS = re.compile(r"ratio|speed|paired|new / ref|ref/pl|/pl\b|_over_|MB/s", re.I)
MEMORY_WORDS = re.compile(r"peak|rss|idle|hwm|memory", re.I)
NOT_MEMORY = re.compile(r"file|page|sent|would", re.I)
TIME_KEY = re.compile(r"(^|[/_\[])(s|ms)($|[/_\[\]])|second|wall|time(?!_?limit)|load_s|per_site", re.I)
RATE_KEY = re.compile(r"ratio|_over_|speed|per_s\b", re.I)
#: figures about the machine, not the code
IGNORE = re.compile(r"loadavg|load average", re.I)


@dataclass
class Figure:
    name: str
    value: float | str
    kind: str  # time, rate, memory, exact
    resolution: float = 0.0  # the unit of the last printed digit
    unit: str = ""
    values: list = field(default_factory=list)  # one per repeat
    missing: int = 0  # repeats that did not print it


def _number(token: str) -> tuple[float, float]:
    """A printed number's value and resolution (``"1,234.50x"`` -> 1234.5, 0.01)."""
    digits = token.rstrip("x%").replace(",", "")
    mantissa = digits.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(digits.lower().split("e")[1]) if "e" in digits.lower() else 0
    return float(digits), 10.0 ** (exponent - decimals)


def _kind(words: str, unit: str, near: str, after: str) -> str:
    """The kind of a number printed with ``unit``: ``words`` its column or the text since the previous number."""
    if unit in ("x", "MB/s") or RATE_WORDS.search(words):
        return "rate"
    if unit in TIME_UNITS or TIME_WORDS.search(words):
        return "time"
    if unit in ("MB", "GB") or re.search(r"\bMB\b", words):
        if words.strip() == "MB" or NOT_MEMORY.search(f"{words} {after}"):
            return "exact"  # a file's, a page's, a message's size
        if MEMORY_WORDS.search(near) or re.search(r"\bMB\b", words):
            return "memory"
    return "exact"


def _units(line: str, matches: list[re.Match]) -> list[tuple[str, int]]:
    """Each number's unit (``x`` / ``%`` attached, or a unit word after it) and where the unit ends.

    In a list ending in a unit (``1.2, 1.3, 1.1 s``) every number has the last one's unit.
    """
    units = []
    for m in matches:
        after = UNIT_AFTER.match(line, m.end())
        if m.group("unit"):
            units.append((m.group("unit"), m.end()))
        elif after:
            units.append((after.group("unit"), after.end()))
        else:
            units.append(("", m.end()))
    for k in range(len(matches) - 2, -1, -1):
        between = line[units[k][1] : matches[k + 1].start()]
        if not units[k][0] and units[k + 1][0] and re.fullmatch(r",\s*", between):
            units[k] = (units[k + 1][0], units[k][1])
    return units


def _json_kind(path: str) -> str:
    if RATE_KEY.search(path):
        return "rate"
    if TIME_KEY.search(path):
        return "time"
    if MEMORY_WORDS.search(path):
        return "memory"
    return "exact"


def _flatten(value: object, path: str, out: dict[str, object]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}/{key}" if path else str(key), out)
    elif isinstance(value, list):
        names = []
        for i, item in enumerate(value):
            fields = [
                item[k] for k in ("instance", "model", "name", "file", "target") if isinstance(item, dict) and k in item
            ]
            names.append(" ".join(str(f) for f in fields) or str(i))
        for i, (name, item) in enumerate(zip(names, value)):
            _flatten(item, f"{path}[{name if names.count(name) == 1 else f'{name} #{i}'}]", out)
    else:
        out[path] = value


class _Printed(str):
    """A number in a JSON document as printed (its resolution is that of its last digit)."""


def _json_documents(lines: list[str]) -> Iterator[tuple[int, int, object]]:
    """(first line, line after the last, document) of each JSON object or list printed on lines of its own."""
    decoder = json.JSONDecoder(parse_float=_Printed, parse_int=_Printed)
    i = 0
    while i < len(lines):
        if lines[i].startswith(("{", "[")):
            text = "\n".join(lines[i:])
            try:
                doc, end = decoder.raw_decode(text)
            except json.JSONDecodeError:
                doc = None
            if doc is not None and text[end:].split("\n", 1)[0].strip() == "":
                last = i + text[:end].count("\n") + 1
                yield i, last, doc
                i = last
                continue
        i += 1


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _columns(block: list[str]) -> list[tuple[int, int]]:
    """Column spans of a fixed-width table: runs of positions not blank in every line (header first)."""
    width = len(block[0])
    blank = [all(len(line) <= p or line[p] == " " for line in block) for p in range(width)]
    spans, start = [], None
    for p in range(width + 1):
        if p < width and not blank[p]:
            start = p if start is None else start
        elif start is not None:
            spans.append((start, p))
            start = None
    return spans


def _is_header(line: str) -> bool:
    return not NUMBER.search(line) and len(re.split(r"\s{2,}", line.strip())) >= 3


def _snippet(masked: list[str], k: int) -> str:
    """Line text with the k-th number as ``[#]``, the others ``#``; long lines cut around it."""
    parts = [masked[0]]
    for i, rest in enumerate(masked[1:]):
        parts.append("[#]" if i == k else "#")
        parts.append(rest)
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    if len(text) <= 90:
        return text
    at = text.index("[#]")
    head = " ".join(text.split()[:3])
    if at - 55 <= len(head) + 10:
        return text[: at + 25]
    return f"{head} … {text[at - 55 : at + 25]}"


def figures(stdout: str, tree: Path | str) -> dict[str, Figure]:
    """Every figure a benchmark printed, by name (see the module's docstring)."""
    text = stdout.replace(str(Path(tree).resolve()), "<tree>").replace(str(tree), "<tree>")
    lines = text.splitlines()
    out: dict[str, Figure] = {}

    def add(name: str, fig: Figure) -> None:
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        fig.name = name
        out[name] = fig

    def put(name: str, fig: Figure) -> None:  # a JSON figure: the same name in a later document, the later value
        fig.name = name
        out[name] = fig

    in_json = [False] * len(lines)
    for first, last, doc in _json_documents(lines):
        flat: dict[str, object] = {}
        _flatten(doc, "", flat)
        for path, value in flat.items():
            if IGNORE.search(path):
                continue
            if isinstance(value, _Printed):  # the same key in a later document: the later value
                number, resolution = _number(value)
                kind = _json_kind(path)
                out[path] = Figure(path, number if kind != "exact" else str(value), kind, resolution)
            elif isinstance(value, str) and (found := list(NUMBER.finditer(value))):  # "0.13 s, optimal"
                _line_figures(value, found, None, lambda name, fig, path=path: put(f"{path}: {name}", fig))
            else:  # text, true / false, null, NaN
                out[path] = Figure(path, str(value), "exact")
        for i in range(first, last):
            in_json[i] = True

    md_header: list[str] = []
    table: tuple[list[tuple[int, int]], str] | None = None  # fixed-width: column spans, header line
    for i, raw in enumerate(lines):
        if in_json[i]:
            continue
        line = raw.rstrip()
        if not line.strip():
            table = None
            continue
        if re.fullmatch(r"[\s|:\-]+", line) and "-" in line:
            continue  # a table's rule
        matches = list(NUMBER.finditer(line))
        if line.lstrip().startswith("|"):
            if i + 1 < len(lines) and re.fullmatch(r"\s*\|[\s|:\-]+", lines[i + 1]):  # a header, then its rule
                md_header = _unique(_cells(line))
                continue
            _markdown_row(line, md_header, add)
            continue
        if not matches:
            if _is_header(line):
                block = [line]
                for nxt in lines[i + 1 :]:
                    if re.fullmatch(r"[\s\-]+", nxt) and nxt.strip():
                        continue
                    if not nxt.strip() or not NUMBER.search(nxt):
                        break
                    block.append(nxt.rstrip())
                table = (_columns([b[: len(line)] for b in block]), line) if len(block) > 1 else None
            else:
                table = None
                add(f"text: {re.sub(' +', ' ', line.strip())}", Figure("", "present", "exact"))
            continue
        _line_figures(line, matches, table, add)
    return out


def _line_figures(line: str, matches: list[re.Match], table: tuple | None, add: Callable[[str, Figure], None]) -> None:
    """The figures of one line of text (not Markdown): named by their fixed-width table's column or their context."""
    masked = [line[: matches[0].start()]]  # the text between the numbers
    for a, b in zip(matches, [*matches[1:], None]):
        masked.append(line[a.end() : b.start() if b else len(line)])
    label = re.sub(r"\s+", " ", line[: matches[0].start()]).strip(" :|")
    units = _units(line, matches)
    for k, m in enumerate(matches):
        value, resolution = _number(m.group(0))
        unit, unit_end = units[k]
        clause = line[units[k - 1][1] if k else 0 : m.start()]  # since the previous number and its unit
        if IGNORE.search(line[: m.start()].rsplit(";", 1)[-1]):
            continue
        if table is not None:
            spans, header = table
            column = next((header[a:b].strip() for a, b in spans if a < m.end() and m.start() < b), None)
            column = column if column is not None else header[spans[-1][0] :].strip()
            word = re.match(r"\s([A-Za-z]{3,})", line[unit_end:])  # "2,451 nodes" in a column of free text
            name = f"{label} | {column}" + (f" {word.group(1)}" if word and not unit else "")
            kind = _kind(column, unit, column, "")
        else:
            name = _snippet(masked, k)
            near = line[max(0, m.start() - 30) : m.start()]
            kind = _kind(clause, unit, near, line[unit_end : unit_end + 8])
        add(name, Figure("", value if kind != "exact" else m.group(0).replace(",", ""), kind, resolution, unit))


def _unique(header: list[str]) -> list[str]:
    """A table's column names, each repeated one qualified by the one before it (``default: new / ref``)."""
    out = []
    for j, name in enumerate(header):
        if header.count(name) > 1 and j and ":" in header[j - 1]:
            name = f"{header[j - 1].split(':')[0]}: {name}"
        out.append(name if out.count(name) == 0 else f"{name} (column {j + 1})")
    return out


def _markdown_row(line: str, header: list[str], add) -> None:
    """The figures of one Markdown table row: named by its leading cells (text and integers) and the column."""
    cells = _cells(line)
    lead = []
    for cell in cells:
        if any("." in m.group(0) or m.group("unit") for m in NUMBER.finditer(cell)) or not cell:
            break
        lead.append(cell)
    label = " ".join(lead)
    corner = header[0] if header else ""
    if not cells[len(lead) :]:
        add(f"row: {label}", Figure("", "present", "exact"))
    for j in range(len(lead), len(cells)):
        column = header[j] if j < len(header) else f"column {j + 1}"
        found = list(NUMBER.finditer(cells[j]))
        if not found:
            add(f"{label} | {column}", Figure("", cells[j], "exact" if cells[j] else "blank"))
        for k, m in enumerate(found):
            value, resolution = _number(m.group(0))
            unit = m.group("unit") or ((u := UNIT_AFTER.match(cells[j][m.end() :])) and u.group("unit")) or ""
            kind = _kind(f"{column} {corner}", unit, column, "")
            name = f"{label} | {column}" + (f" [{k + 1}]" if len(found) > 1 else "")
            add(name, Figure("", value if kind != "exact" else m.group(0).replace(",", ""), kind, resolution, unit))


# --------------------------------------------------------------------------- pairing and the table


def side_figures(runs: list[dict], tree: str, ignore: str = "") -> dict[str, Figure]:
    """The figures of one tree's repeats: time the smallest, rate and memory the median, exact the first."""
    per_run = []
    for run in runs:
        figs = {k: v for k, v in figures(run["stdout"], tree).items() if not (ignore and re.search(ignore, k))}
        meta = {
            "(run) wall seconds": Figure("", run["seconds"], "time", 0.0, "s"),
            "(run) exit status": Figure("", str(run["exit"]), "exact"),
            "(run) planner modules imported from outside the tree": Figure("", str(len(run["outside"])), "exact"),
        }
        for name, fig in meta.items():
            fig.name = name
        per_run.append({**meta, **figs})
    out: dict[str, Figure] = {}
    names = dict.fromkeys(name for figs in per_run for name in figs)
    for name in names:
        seen = [figs[name] for figs in per_run if name in figs]
        printed = [fig for fig in seen if fig.kind != "blank"] or seen  # a cell left blank in some runs only
        first = printed[0]
        fig = out[name] = Figure(
            name, first.value, first.kind, first.resolution, first.unit, [f.value for f in printed]
        )
        fig.missing = len(per_run) - len(seen)
        if fig.kind not in ("exact", "blank"):
            values = [float(v) for v in fig.values]
            fig.value = min(values) if fig.kind == "time" else statistics.median(values)
    return out


def _cell(value: float | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value if len(value) <= 40 else value[:37] + "..."
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"


def compare(ref: dict[str, Figure], new: dict[str, Figure], tolerance: float, floor: float) -> list[dict]:
    """One row per figure name of either side, in the order printed (the reference's first)."""
    rows = []
    for name in [*ref, *(n for n in new if n not in ref)]:
        a, b = ref.get(name), new.get(name)
        row = {"figure": name, "kind": (a or b).kind, "ref": a and a.value, "new": b and b.value, "ratio": None}
        row["unit"] = (a or b).unit
        if a is None or b is None:
            row["verdict"] = f"NO (only in {'new' if a is None else 'ref'})"
        elif "blank" in (a.kind, b.kind):  # a table cell the benchmark leaves blank (bench_plan: a ratio to ~0 s)
            row["kind"] = b.kind if a.kind == "blank" else a.kind
            row["verdict"] = "yes" if a.kind == b.kind else f"n/a (blank in {'ref' if a.kind == 'blank' else 'new'})"
        elif a.kind == "exact" or b.kind == "exact":
            varies = len(set(map(str, a.values))) > 1 or len(set(map(str, b.values))) > 1
            equal = str(a.value) == str(b.value) or _same_number(a.value, b.value)
            row["verdict"] = ("yes" if equal else "NO") + (" (varies between repeats)" if varies else "")
            if varies:
                row["ref"], row["new"] = "/".join(map(str, a.values)), "/".join(map(str, b.values))
        else:
            x, y = float(a.value), float(b.value)
            row["ratio"] = y / x if x else (1.0 if y == 0 else math.inf)
            slack = max(a.resolution, b.resolution)
            if a.kind == "time":
                slack += floor * (1000.0 if a.unit == "ms" else 1.0)
            if abs(y - x) <= tolerance * abs(x) + 1e-12:
                row["verdict"] = "yes"
            elif abs(y - x) <= tolerance * abs(x) + slack:
                row["verdict"] = "yes (resolution / floor)"
            else:
                spread = max(_spread(a.values), _spread(b.values))
                row["verdict"] = "NO" + (f" (one side's own runs differ by {spread:.0%})" if spread > tolerance else "")
        if a is not None and b is not None and (a.missing or b.missing):
            row["verdict"] += f" (not printed by {a.missing} ref / {b.missing} new runs)"
        rows.append(row)
    return rows


def _seconds(row: dict) -> float:
    """The smaller of a timing row's two values, in seconds."""
    return min(float(row["ref"]), float(row["new"])) / (1000.0 if row.get("unit") == "ms" else 1.0)


def _spread(values: list) -> float:
    """How far apart one side's repeats are: largest / smallest - 1 (0 for a single run)."""
    numbers = [float(v) for v in values]
    return max(numbers) / min(numbers) - 1 if len(numbers) > 1 and min(numbers) > 0 else 0.0


def _same_number(a: object, b: object) -> bool:
    try:
        return float(str(a)) == float(str(b))
    except ValueError:
        return False


def render(report: dict, failures_only: bool = False) -> int:
    """The table of every figure of every benchmark run, then a summary; 1 when any figure fails."""
    tol = report["tolerance"]
    pct = f"{tol:.0%}".replace("%", " %")
    head = ["benchmark", "figure", "kind", f"ref {report['ref'][:7]}", "new", "new / ref", f"within {pct}"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---|---:|---:|---:|---|"]
    summary, failed, worst = [], 0, []
    for name, entry in report["runs"].items():
        if entry.get("skipped"):
            summary.append(f"- {name}: skipped ({entry['skipped']})")
            failed += 1
            continue
        ignore = BENCHES[name].ignore if name in BENCHES else ""
        ref = side_figures(entry["ref"], report["ref_tree"], ignore)
        new = side_figures(entry["new"], report["new_tree"], ignore)
        rows = compare(ref, new, tol, report["floor"])
        bad = [r for r in rows if r["verdict"].startswith("NO")]
        failed += len(bad)
        for r in rows:
            if failures_only and not r["verdict"].startswith("NO"):
                continue
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
            figure = r["figure"].replace("|", "\\|")
            cells = [name, figure, r["kind"], _cell(r["ref"]), _cell(r["new"]), ratio, r["verdict"]]
            lines.append("| " + " | ".join(cells) + " |")
        measured = [r for r in rows if r["ratio"] not in (None, math.inf) and r["ratio"] > 0]
        exact = [r for r in rows if r["kind"] == "exact" and "only in" not in r["verdict"]]
        far = max(measured, key=lambda r: abs(math.log(r["ratio"])), default=None)
        worst += [(abs(math.log(r["ratio"])), name, r) for r in measured]
        walls = {side: [run["seconds"] for run in entry[side]] for side in ("ref", "new")}
        summary.append(
            f"- {name}: {len(rows)} figures, {len(bad)} failing; exact {sum(r['verdict'] == 'yes' for r in exact)} "
            f"of {len(exact)} equal; measured {sum(r['verdict'] == 'yes' for r in measured)} of {len(measured)} "
            f"within {pct}, {sum(r['verdict'].startswith('yes (') for r in measured)} more within the resolution / "
            "floor"
            + (f"; farthest {far['ratio']:.3f} ({far['figure']})" if far else "")
            + f"; wall s of each run: ref {', '.join(f'{s:.0f}' for s in walls['ref'])}, "
            f"new {', '.join(f'{s:.0f}' for s in walls['new'])}; args: {' '.join(entry['argv']) or '(none)'}"
        )
    print("\n".join(lines))
    print()
    print(
        f"ref {report['ref'][:9]} ({report['ref_tree']}) against {report['new_tree']}"
        f"{' (quick)' if report['quick'] else ''}, {report['repeat']} run(s) per side, alternating; time = best "
        f"of the runs, rate / memory = median; timings also pass within the printed resolution + "
        f"{report['floor'] * 1000:.0f} ms"
    )
    print("\n".join(summary))
    for label, pool in (
        ("worst ratio", worst),
        (
            "worst ratio not excused by the resolution / floor",
            [w for w in worst if w[2]["verdict"] == "yes" or w[2]["verdict"].startswith("NO")],
        ),
        (
            "worst ratio of a timing of 1 s or more",
            [w for w in worst if w[2]["kind"] == "time" and _seconds(w[2]) >= 1],
        ),
    ):
        if pool:
            _, name, row = max(pool, key=lambda w: w[0])
            print(f"{label}: {row['ratio']:.3f} ({name}: {row['figure']}, {row['kind']}, {row['verdict']})")
    print(f"{'ALL FIGURES PAIRED AND WITHIN' if not failed else f'{failed} FIGURE(S) FAIL'}")
    return 1 if failed else 0


# --------------------------------------------------------------------------- main


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default=DEFAULT_REF, help="the reference commit (default: %(default)s)")
    parser.add_argument("--ref-tree", type=Path, help="its worktree (default: ../ref-<short sha>, added when missing)")
    parser.add_argument("--new", type=Path, default=ROOT, help="the tree to compare (default: this checkout)")
    parser.add_argument("--quick", action="store_true", help="each benchmark's quick mode (or smaller sizes)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side, alternating (default: %(default)s)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), metavar="NAME", help="these benchmarks only")
    parser.add_argument("--with-external", action="store_true", help="also run spopt + CBC and the HiGHS baseline")
    parser.add_argument("--warmup", action="store_true", help="one untimed run per side first (numba's cache...)")
    parser.add_argument("--timeout", type=float, help="seconds per run (default: none)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="default: %(default)s")
    parser.add_argument("--floor", type=float, default=FLOOR_SECONDS, help="seconds (default: %(default)s)")
    parser.add_argument("--json", type=Path, help="also save every run (stdout included) here")
    parser.add_argument("--from-json", type=Path, help="print the table of a saved --json again, run nothing")
    parser.add_argument("--failures", action="store_true", help="print only the failing rows of the table")
    args = parser.parse_args(argv)

    if args.from_json:
        report = json.loads(args.from_json.read_text())
        report.update(tolerance=args.tolerance, floor=args.floor)
        return render(report, args.failures)
    ref_tree, sha = reference_tree(args.ref, args.ref_tree)
    new_tree = args.new.resolve()
    names = args.only or list(BENCHES)
    report = {
        "ref": sha,
        "ref_tree": str(ref_tree),
        "new_tree": str(new_tree),
        "quick": args.quick,
        "repeat": args.repeat,
        "tolerance": args.tolerance,
        "floor": args.floor,
        "runs": {},
    }
    trees = {"ref": ref_tree, "new": new_tree}
    if not args.quick:
        minutes = 2 * args.repeat * sum(FULL_SECONDS.get(name, 0) for name in names) / 60
        log(f"{2 * args.repeat} runs of each benchmark: about {minutes:.0f} minutes on a busy 2-core machine")
    with tempfile.TemporaryDirectory(prefix="compare_commits_guard_") as guard_dir:
        guard = Path(guard_dir)
        (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
        for side, tree in trees.items():
            log(f"{side}: {tree}\n  {probe(tree, guard)}")
        for name in names:
            bench = BENCHES[name]
            argv_ = bench.argv(args.quick, args.with_external, ref_tree=str(ref_tree), ref=sha[:7])
            entry: dict = {"argv": argv_, "ref": [], "new": []}
            report["runs"][name] = entry
            missing = [side for side, tree in trees.items() if not (tree / "benchmarks" / bench.script).exists()]
            if missing:
                entry["skipped"] = f"{bench.script} missing in {', '.join(missing)}"
                continue
            if args.warmup:
                for side, tree in trees.items():
                    log(f"{name}: warm-up {side}")
                    run_once(tree, bench, argv_, guard, args.timeout)
            for round_ in range(args.repeat):
                for side in ("ref", "new") if round_ % 2 == 0 else ("new", "ref"):
                    log(f"{name}: run {round_ + 1}/{args.repeat} {side}: {bench.script} {' '.join(argv_)}")
                    run = run_once(trees[side], bench, argv_, guard, args.timeout)
                    entry[side].append(run)
                    log(f"  {run['seconds']:.1f} s, exit {run['exit']}, load {run['load']:.1f}")
                    if run["outside"]:
                        log(f"  planner modules from outside {trees[side]}: {', '.join(run['outside'])}")
                    if run["exit"] != 0:
                        log(f"  stderr: {run['stderr_tail'][-1500:]}")
            if args.json:
                args.json.write_text(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return render(report, args.failures)


if __name__ == "__main__":
    sys.exit(main())
