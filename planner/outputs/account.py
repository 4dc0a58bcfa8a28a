"""The plan's account as the outputs show it: every resident and every site of the input in one class.

:func:`account_blocks` gives the account (:class:`planner.ledger.Ledger`) as tables in words, the same for the
command line's lines (:func:`planner.outputs.console.report_plan`) and the report's tables (:func:`account_html`);
the words are :mod:`planner.text.account`'s. :func:`account_dict` gives it as ``summary.json``'s ``ledger``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.config import DEFAULTS
from planner.ledger import Ledger
from planner.outputs.report_html import escape, html_table, number
from planner.text import words

__all__ = ["Block", "account_blocks", "account_dict", "account_html", "class_text"]


@dataclass(frozen=True)
class Block:
    """One table of the account in words: its heading, its columns' names and its rows (class, count, residents).

    A count is ``None`` where it is unknown (a raster beyond the window read); residents are ``None`` for sites.
    """

    heading: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, int | None, float | None]]


def class_text(key: str, lang: str, *, minutes: float | None, tier: float | None = None) -> str:
    """A class (``covered``, ``site_new``...) or heading of the account's words in ``lang``, its walks filled in.

    ``{minutes}`` is the plan's walk, ``{tier}`` its tier walk and ``{metres}`` the snapping distance.
    """
    return words(lang, "account")[key].format(minutes=minutes or 0.0, tier=tier or 0.0, metres=DEFAULTS.max_snap_m)


def account_blocks(ledger: Ledger, lang: str = "en") -> list[Block]:
    """
    The account in words, as the CLI and the report render it: non-empty classes only.

    Parameters
    ----------
    ledger
        The plan's account.
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    list of Block
        The residents' coverage classes and their total, a tiered plan's centre classes, then the sites' classes
        and their total; each block names its columns (``homes`` and ``residents``, or ``sites``).
    """

    def say(key: str) -> str:
        return class_text(key, lang, minutes=ledger.minutes, tier=ledger.tier_minutes)

    people = (say("homes"), say("residents"))
    homes = []
    for cls, row in ledger.homes.iterrows():
        n = None if pd.isna(row["n"]) else int(row["n"])
        if (n or 0) > 0 or float(row["population"]) > 0:
            key = "outside_boundary_raster" if cls == "outside_boundary" and ledger.from_raster else str(cls)
            homes.append((say(key), n, float(row["population"])))
    homes.append((say("total"), int(ledger.homes["n"].fillna(0).sum()), ledger.population_input))
    out = [Block(say("homes_head"), people, homes)]
    if ledger.centres is not None:
        centres = [
            (say(str(cls)), int(row["n"]), float(row["population"]))
            for cls, row in ledger.centres.iterrows()
            if int(row["n"]) > 0
        ]
        out.append(Block(say("centres_head"), people, centres))
    sites: list[tuple[str, int, None]] = [
        (say(f"site_{cls}"), int(n), None) for cls, n in ledger.sites["n"].items() if int(n) > 0
    ]
    sites.append((say("total"), ledger.n_sites_input, None))
    out.append(Block(say("sites_head"), (say("sites"),), sites))
    return out


def account_html(ledger: Ledger, lang: str = "en") -> str:
    """The report's account: its heading, one table per block of :func:`account_blocks` as it is, and its notes."""
    text = words(lang, "account")
    parts = [f"<h2>{escape(text['account_h'])}</h2>"]
    for block in account_blocks(ledger, lang):
        rows = [
            [escape(label), "" if n is None else f"{n:,}", *([] if people is None else [number(people)])]
            for label, n, people in block.rows
        ]
        head = [escape(c) for c in (block.heading, *block.columns)]
        parts.append(html_table(head, rows, numeric=(1, 2), css="account"))
    if ledger.centres is not None and ledger.n_centre("no_possible_centre"):
        note = text["centre_note"].format(
            tier=ledger.tier_minutes,
            n=ledger.n_centre("no_possible_centre"),
            pop=f"{ledger.people_centre('no_possible_centre'):,.0f}",
        )
        parts.append(f'<p class="note">{escape(note)}</p>')
    parts.append(f'<p class="note">{escape(text["account_note"])}</p>')
    return "\n".join(parts)


def account_dict(ledger: Ledger) -> dict[str, Any]:
    """The account as plain JSON values (``summary.json``'s ``ledger``): counts, residents to 0.1, the walks."""

    def block(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
        out = {}
        for cls, row in frame.iterrows():
            n = row["n"]
            entry: dict[str, Any] = {"n": None if n is None or pd.isna(n) else int(n)}
            if "population" in frame:
                entry["population"] = round(float(row["population"]), 1)
            out[str(cls)] = entry
        return out

    out: dict[str, Any] = {
        "minutes": ledger.minutes,
        "homes": block(ledger.homes),
        "population_input": round(ledger.population_input, 1),
        "sites": {str(c): int(v) for c, v in ledger.sites["n"].items()},
        "n_sites_input": ledger.n_sites_input,
    }
    if ledger.centres is not None:
        out["tier_minutes"] = ledger.tier_minutes
        out["centres"] = block(ledger.centres)
    if ledger.raster_total is not None:
        out["raster_total"] = round(ledger.raster_total, 1)
    if ledger.population_served is not None:
        out["population_served"] = round(ledger.population_served, 1)
    return out
