"""The committee report: ``report.html``, one printable, self-contained page per plan, in English or Chinese.

Every figure comes from the :class:`~planner.result.Plan` and its ``summary``; the page carries no date, links
nothing outside itself (the map is an embedded PNG, the curve inline SVG) and escapes every string that comes from
OSM or a user's file, so two runs of the same plan write the same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.config import DEFAULTS
from planner.demand.areas import OUTSIDE
from planner.ledger import UNCOVERABLE
from planner.outputs.account import account_html
from planner.outputs.report_figures import CURVE_SECONDS, CURVE_STEPS, curve_svg, map_figure, report_curve
from planner.outputs.report_html import ReportText, escape, html_table, number, percent
from planner.outputs.summary import plan_summary
from planner.reach.unreachable import DIAGNOSIS_MINUTES
from planner.text import check_lang, words

if TYPE_CHECKING:
    from planner.result import Plan

__all__ = ["MAX_LISTED_HOMES", "plan_report"]

#: homes listed by name in the report's "homes left out" (all are in ``unreachable.csv``)
MAX_LISTED_HOMES = 40


def plan_report(
    plan: Plan, *, lang: str = "en", curve_steps: int = CURVE_STEPS, curve_seconds: float = CURVE_SECONDS
) -> str:
    """
    The committee report of a plan as one self-contained HTML page, printable on A4.

    Parameters
    ----------
    plan
        The plan.
    lang
        ``"en"`` or ``"zh"``.
    curve_steps, curve_seconds
        The coverage curve is solved exactly for p = the existing stations .. the plan's station count, at most
        ``curve_steps`` values of p, each within ``curve_seconds`` (the report says so).

    Returns
    -------
    str
        The page: the question and assumptions, coverage before and after, the map, the stations, the areas
        (when known), the homes left out and the coverage curve, each section on its own page in print.
    """
    t = ReportText(check_lang(lang))
    body = [
        _summary_section(plan, t),
        _map_section(plan, t),
        _stations_section(plan, t),
        _areas_section(plan, t),
        _left_out_section(plan, t),
        _curve_section(plan, t, curve_steps, curve_seconds),
    ]
    title = t("title", minutes=plan.minutes)
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{title}</title>\n'
        f"<style>\n{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<footer>{t('footer')}</footer>\n</body>\n</html>\n"
    )


# ----------------------------------------------------------------- page 1: question, assumptions, before / after


def _question(plan: Plan, t: ReportText) -> str:
    s = plan_summary(plan)
    key = "q_tiers" if plan.model == "tiers" else f"q_{plan.model}"
    text = t(
        key,
        minutes=plan.minutes,
        p=s.get("p"),
        budget=plan.budget or 0.0,
        tier_minutes=s.get("tier_minutes", 0.0),
        share=100 * s.get("share", 0.0),
    )
    if s["n_existing"]:
        text += t("q_existing", n_existing=s["n_existing"])
    capacity = getattr(plan.solution.result, "capacity", None)
    if capacity:
        text += t("q_capacity", capacity=capacity)
    return text


def _answer(plan: Plan, t: ReportText) -> str:
    s = plan_summary(plan)
    existing = int(plan.stations["existing"].sum())
    reach = s["population_covered"] / s["population_coverable"] if s["population_coverable"] else 0.0
    return t(
        "answer",
        n=s["n_stations"],
        new=s["n_stations"] - existing,
        existing=existing,
        covered=number(s["population_covered"]),
        total=number(s["population_total"]),
        share=percent(s["covered_share"]),
        share_reach=percent(reach),
        reachable=number(s["population_coverable"]),
    )


def _demand_text(plan: Plan, t: ReportText) -> str:
    s = plan_summary(plan)
    method = str(plan.demand["method"].iloc[0]) if len(plan.demand) else "file"
    if "raster" in s:
        r = s["raster"]
        how = t("m_raster", name=r.get("name", ""), units=r.get("units", ""), placement=r.get("placement", ""))
    else:
        how = t.phrases.get(f"m_{method}", method)
        how = t("m_named", how=how, name=s["demand_file"]) if s.get("demand_file") else escape(how)
    return t("a_demand_value", n=s["n_demand"], total=number(s["population_total"])) + how


def _candidate_text(plan: Plan, t: ReportText) -> str:
    kinds = plan.sites.loc[~plan.existing, "kind"].astype(str).value_counts()
    kinds = kinds.sort_index().sort_values(ascending=False, kind="stable")
    parts = []
    if "file" in kinds:
        name = plan_summary(plan).get("candidate_file")
        parts.append(t("s_named", n=int(kinds["file"]), name=name) if name else t("s_file", n=int(kinds["file"])))
    osm = kinds.drop("file", errors="ignore")
    if len(osm):
        listed = t.phrases["list_sep"].join(f"{k} {v}" for k, v in osm.items())
        parts.append(t("s_osm", n=int(osm.sum()), kinds=listed))
    return escape(t.phrases["list_sep"]).join(parts) or t("none")


def _existing_text(s: dict, t: ReportText) -> str:
    if not s["n_existing"]:
        return t("none")
    if s.get("existing_file"):
        return t("a_existing_named", n=s["n_existing"], name=s["existing_file"])
    return t("a_existing_value", n=s["n_existing"])


def _model_text(plan: Plan, t: ReportText) -> str:
    s = plan_summary(plan)
    cap = t("cap", n=s["max_centres"]) if "max_centres" in s else ""
    model = t(
        f"model_{plan.model}",
        p=s.get("p"),
        budget=plan.budget or 0.0,
        tier_minutes=s.get("tier_minutes", 0.0),
        cap=cap,
        share=100 * s.get("share", 0.0),
    )
    if s["solver_status"] == "optimal":
        return model + t("solver_optimal")
    return model + t("solver_other", status=s["solver_status"], gap=percent(s["gap"] or 0.0))


def _assumptions(plan: Plan, t: ReportText) -> str:
    s = plan_summary(plan)
    metres = plan.minutes * plan.speed_kmh * 1000.0 / 60.0
    rows = [
        (t("a_walk"), t("a_walk_value", minutes=plan.minutes, speed=plan.speed_kmh, metres=metres)),
        (
            t("a_network"),
            t("a_network_value", source=s["source"] or "", nodes=s["n_network_nodes"], edges=s["n_network_edges"]),
        ),
    ]
    if "boundary" in s:
        value = t(
            "a_boundary_value",
            label=s["boundary"],
            homes=s["n_demand_outside_boundary"],
            pop=number(s["population_outside_boundary"]),
            sites=s["n_sites_outside_boundary"],
        )
        rows.append((t("a_boundary"), value))
    rows += [
        (t("a_demand"), _demand_text(plan, t)),
        (t("a_candidates"), _candidate_text(plan, t)),
        (t("a_existing"), _existing_text(s, t)),
        (t("a_model"), _model_text(plan, t)),
    ]
    body = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<h2>{t("assumptions_h")}</h2>\n<table class="facts">\n<tbody>\n{body}\n</tbody>\n</table>'


def _before_after(plan: Plan, t: ReportText) -> str:
    s = plan_summary(plan)
    before = plan.ledger.population_before
    after, total, reachable = s["population_covered"], s["population_total"], s["population_coverable"]
    n_existing = int(plan.existing.sum())

    def shares(x: float) -> list[str]:
        return [number(x), percent(x / total if total else 0.0), percent(x / reachable if reachable else 0.0)]

    head = ["", t("ba_before"), t("ba_after")]  # the first column: the rows' names
    columns = [[str(n_existing), *shares(before)], [str(s["n_stations"]), *shares(after)]]
    labels = [
        t("ba_stations"),
        t("ba_covered"),
        t("ba_share_all", total=number(total)),
        t("ba_share_reach", reachable=number(reachable)),
    ]
    rows = [[label, columns[0][i], columns[1][i]] for i, label in enumerate(labels)]
    return (
        f"<h2>{t('before_after_h')}</h2>\n"
        + html_table(head, rows, numeric=(1, 2), css="before-after")
        + f'\n<p class="note">{t("ba_note", gained=number(after - before))}</p>'
    )


def _summary_section(plan: Plan, t: ReportText) -> str:
    return (
        f'<section class="first">\n<h1>{t("title", minutes=plan.minutes)}</h1>\n'
        f"<h2>{t('question_h')}</h2>\n<p>{_question(plan, t)}</p>\n"
        f'<p class="answer">{_answer(plan, t)}</p>\n'
        f"{_assumptions(plan, t)}\n{_before_after(plan, t)}\n</section>"
    )


# ----------------------------------------------------------------- the map, the stations, the areas


def _swatch(css: str, label: str) -> str:
    return f'<span class="key"><span class="swatch {css}"></span>{label}</span>'


def _map_section(plan: Plan, t: ReportText) -> str:
    figure = map_figure(plan)
    keys = [_swatch("proposed", t("key_proposed"))]
    if plan.stations["existing"].any():
        keys.append(_swatch("existing", t("key_existing")))
    if (plan.stations["tier"] == "centre").any():
        keys.append(_swatch("centre", t("key_centre")))
    keys += [
        _swatch("walk", t("key_walk", minutes=plan.minutes)),
        _swatch("covered", t("key_covered")),
        _swatch("uncovered", t("key_uncovered")),
        _swatch("street", t("key_street")),
    ]
    return (
        f'<section>\n<h2>{t("map_h")}</h2>\n<figure class="map">\n'
        f'<img id="plan-map" src="{figure.uri}" width="{figure.width_px}" height="{figure.height_px}" '
        f'alt="{t("map_alt")}">\n'
        f'<figcaption><div class="keys">{"".join(keys)}</div>{t("map_caption", bar=figure.scale_m)}</figcaption>\n'
        "</figure>\n</section>"
    )


def _stations_section(plan: Plan, t: ReportText) -> str:
    st = plan.stations
    rows = []
    for k, row in enumerate(st.itertuples(index=False)):
        tier = str(row.tier)
        rows.append(
            [
                str(k + 1),
                escape(row.name),
                t(f"tier_{tier}") if f"tier_{tier}" in t.phrases else escape(tier),
                t("status_existing" if row.existing else "status_new"),
                number(row.population_within),
                number(row.population_assigned),
                "" if pd.isna(row.farthest_assigned_minutes) else f"{row.farthest_assigned_minutes:.1f}",
                f"{row.cost:,.0f}",
            ]
        )
    rows.append(["", t("total"), "", "", "", number(st["population_assigned"].sum()), "", f"{st['cost'].sum():,.0f}"])
    head = [
        t(k, minutes=plan.minutes)
        for k in ("c_no", "c_name", "c_tier", "c_status", "c_within", "c_assigned", "c_far", "c_cost")
    ]
    note = t("stations_note", covered=number(plan_summary(plan)["population_covered"]))
    return (
        f'<section id="stations">\n<h2>{t("stations_h", n=len(st))}</h2>\n'
        + html_table(head, rows, numeric=(0, 4, 5, 6, 7), css="stations")
        + f'\n<p class="note">{note}</p>\n</section>'
    )


def _areas_section(plan: Plan, t: ReportText) -> str:
    table = plan.area_table
    if table is None:
        return ""
    rows = []
    for row in table.itertuples(index=False):
        far = row.nearest_station_minutes
        rows.append(
            [
                _area_name(row, t),
                number(row.population),
                number(row.n_homes),
                number(row.population_covered),
                percent(row.covered_share) if pd.notna(row.covered_share) else "",
                "" if pd.isna(row.nearest_station) else escape(row.nearest_station),
                "" if pd.isna(far) or not np.isfinite(far) else f"{far:.1f}",
            ]
        )
    head = [t(k) for k in ("c_area", "c_residents", "c_homes", "c_covered", "c_share", "c_nearest", "c_walk")]
    return (
        f'<section id="areas">\n<h2>{t("areas_h")}</h2>\n'
        + html_table(head, rows, numeric=(1, 2, 3, 4, 6), css="areas")
        + f'\n<p class="note">{t("areas_note")}</p>\n</section>'
    )


def _area_name(row: Any, t: ReportText) -> str:
    """An area's name, with a word where the planning boundary cuts it (the account's ``where``)."""
    if row.area == OUTSIDE:
        return t("outside")
    where = getattr(row, "where", "inside")
    if where == "outside":
        return t("area_beyond", name=row.area)
    if where == "partly outside":
        return t("area_partly", name=row.area, share=percent(float(row.share_inside)))
    return escape(row.area)


# ----------------------------------------------------------------- homes left out, the coverage curve


def _reason(t: ReportText, reason: str, minutes: float, tier: float = 0.0) -> str:
    """The diagnosis' reason (:func:`planner.reach.unreachable.diagnose_unreachable`) in the report's language."""
    if reason.startswith("no street"):
        return t("r_street", m=DEFAULTS.max_snap_m)
    if reason.startswith("only unusable"):
        return t("r_unusable", minutes=minutes, tier=tier)
    return t("r_candidate", minutes=minutes)


def _left_out_section(plan: Plan, t: ReportText) -> str:
    s = plan_summary(plan)
    parts = [f'<section id="left-out">\n{account_html(plan.ledger, t.lang)}\n<h2>{t("left_out_h")}</h2>']
    table = plan.unreachable if plan.unreachable is not None else pd.DataFrame()
    if not len(table):
        parts.append(f"<p>{t('left_out_none', minutes=plan.minutes)}</p>")
    else:
        ledger = plan.ledger
        tier = float(s.get("tier_minutes") or 0.0)
        if ledger.n("no_candidate"):
            intro = t(
                "left_out_intro",
                n=ledger.n("no_candidate"),
                pop=number(ledger.people("no_candidate")),
                minutes=plan.minutes,
            )
            parts.append(f"<p>{intro}</p>")
        # the account's classes of the homes no plan can cover (each home in one), in the report's words
        reasons = {"only_unusable": "only unusable", "no_candidate": "no candidate", "off_network": "no street"}
        summary_rows = [
            [_reason(t, reasons[c], plan.minutes, tier), f"{ledger.n(c):,}", number(ledger.people(c))]
            for c in UNCOVERABLE
            if ledger.n(c)
        ]
        parts.append(f"<h3>{escape(words(t.lang, 'account')['left_out_classes'])}</h3>")
        parts.append(html_table([t("c_reason"), t("c_homes"), t("c_residents")], summary_rows, numeric=(1, 2)))
        rows = []
        for row in table.head(MAX_LISTED_HOMES).itertuples(index=False):
            named = isinstance(row.nearest_site_name, str) and bool(row.nearest_site_name.strip())
            near = escape(row.nearest_site_name) if named else t("beyond", look=DIAGNOSIS_MINUTES)
            walk = "" if pd.isna(row.nearest_minutes) else f"{row.nearest_minutes:.1f}"
            if str(row.reason).startswith("no street"):
                near = walk = ""  # off the streets: the reason says it all
            home = escape(row.demand_id)
            name = getattr(row, "name", None)  # the compound's name, when the demand file gives one
            if isinstance(name, str) and name.strip():
                home = t("home_named", name=name, id=row.demand_id)
            rows.append([home, number(row.population), _reason(t, str(row.reason), plan.minutes, tier), near, walk])
        head = [t(k) for k in ("c_home", "c_residents", "c_reason", "c_nearest_candidate", "c_walk")]
        key = "left_out_list_h" if len(table) > MAX_LISTED_HOMES else "left_out_list_all"
        parts.append(f"<h3>{t(key, shown=MAX_LISTED_HOMES, n=len(table))}</h3>")
        parts.append(html_table(head, rows, numeric=(1, 4), css="homes"))
    if plan.ledger.n("not_covered"):
        n, pop = plan.ledger.n("not_covered"), number(plan.ledger.people("not_covered"))
        parts.append(f'<p class="note">{t("left_out_choice", n=n, pop=pop, stations=s["n_stations"])}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _needed_text(t: ReportText, needed: dict[str, int | None], max_p: int) -> str:
    values = [
        t("more_than", n=max_p) if needed.get(k) is None else str(needed[k]) for k in ("80%", "90%", "95%", "100%")
    ]
    return t("needed", a=values[0], b=values[1], c=values[2], d=values[3])


def _curve_section(plan: Plan, t: ReportText, steps: int, seconds: float) -> str:
    found = report_curve(plan, steps=steps, seconds=seconds)
    if found is None:
        return ""
    curve, needed, max_p = found
    lo, n = int(curve["p"].min()), plan.solution.n_stations
    scope = t("curve_all", n=n) if max_p == n else t("curve_capped", steps=steps, n=n)
    labels = {
        k: t.phrases[f"svg_{k}"].format(minutes=plan.minutes) for k in ("title", "x_axis", "y_axis", "all", "reachable")
    }
    mark = (n, plan_summary(plan)["covered_share"]) if max_p == n else None
    rows = [
        [str(r.p), number(r.population_covered), percent(r.covered_share), percent(r.coverable_share)]
        for r in curve.itertuples(index=False)
    ]
    head = [t("c_p"), t("c_covered"), t("c_share_all"), t("c_share_reach")]
    parts = [
        f'<section id="curve">\n<h2>{t("curve_h")}</h2>',
        f"<p>{t('curve_intro', lo=lo, hi=max_p, seconds=seconds)}{scope}</p>",
        f'<figure class="curve">{curve_svg(curve, labels, mark)}</figure>',
        f"<p>{_needed_text(t, needed, max_p)}{t('curve_plan_mark') if mark else ''}</p>",
    ]
    short = curve[curve["status"] != "optimal"]
    if len(short):
        parts.append(f'<p class="note">{t("curve_short", ps=", ".join(map(str, short["p"])))}</p>')
    parts.append(html_table(head, rows, numeric=(0, 1, 2, 3), css="curve-table"))
    parts.append("</section>")
    return "\n".join(parts)


_CSS = """\
@page { size: A4; margin: 16mm 14mm 16mm 14mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; color: #666; } }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans", "DejaVu Sans", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Microsoft YaHei",
  "PingFang SC", sans-serif; font-size: 10.5pt; line-height: 1.45; color: #222; margin: 0 auto; }
@media screen { body { max-width: 182mm; padding: 0 8mm; } }
html:lang(zh-CN) body { font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
  "PingFang SC", sans-serif; }
h1 { font-size: 17pt; margin: 0 0 8pt; }
h2 { font-size: 13pt; margin: 12pt 0 6pt; border-bottom: 1px solid #bbb; break-after: avoid; }
h3 { font-size: 11pt; margin: 10pt 0 4pt; break-after: avoid; }
section { break-before: page; }
section.first { break-before: auto; }
p.answer { font-weight: bold; background: #f3f6fa; border-left: 3px solid #2c7fb8; padding: 4pt 8pt; }
p.note, figcaption { font-size: 9pt; color: #444; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; font-size: 9.5pt; }
thead { display: table-header-group; }
tr, th, td { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #ccc; padding: 2pt 5pt; text-align: left; vertical-align: top; }
thead th { background: #eee; }
table.facts th { width: 28%; background: #f6f6f6; font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:last-child td { font-weight: inherit; }
table.stations tbody tr:last-child td { font-weight: bold; }
figure { margin: 0; break-inside: avoid; }
figure.map img { width: 100%; height: auto; box-sizing: border-box; max-height: 225mm; object-fit: contain; border: 1px solid #ccc; }
.keys { margin: 4pt 0; }
.key { display: inline-block; margin-right: 12pt; white-space: nowrap; }
.swatch { display: inline-block; width: 10pt; height: 10pt; margin-right: 4pt; vertical-align: -1pt; }
.swatch.proposed { border: 2px solid #d7301f; border-radius: 50%; background: #fff; box-sizing: border-box; }
.swatch.existing { border: 2px solid #2c7fb8; border-radius: 50%; background: #fff; box-sizing: border-box; }
.swatch.centre { border: 2px solid #555; background: #fff; box-sizing: border-box; }
.swatch.walk { background: rgba(215, 48, 31, 0.18); border: 1px solid rgba(215, 48, 31, 0.6); }
.swatch.covered { background: #1a9850; border-radius: 50%; width: 6pt; height: 6pt; }
.swatch.uncovered { background: #7b3294; border-radius: 50%; width: 6pt; height: 6pt; }
.swatch.street { background: #c8c8c8; height: 2pt; vertical-align: 3pt; }
svg.curve text { font-size: 12px; fill: #333; }
svg.curve .grid { stroke: #ddd; stroke-width: 1; }
svg.curve polyline { fill: none; stroke-width: 2; }
svg.curve .all { stroke: #d7301f; fill: #d7301f; }
svg.curve polyline.all, svg.curve line.all { fill: none; stroke-width: 2; }
svg.curve .reach { stroke: #3182bd; fill: #3182bd; }
svg.curve polyline.reach, svg.curve line.reach { fill: none; stroke-width: 2; stroke-dasharray: 6 4; }
svg.curve circle.plan { fill: none; stroke: #000; stroke-width: 1.5; }
footer { margin-top: 14pt; font-size: 8.5pt; color: #666; }
"""
