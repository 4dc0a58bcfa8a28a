"""Every word the planner shows a user, in English and Chinese: one table per surface, looked up by :func:`words`.

A surface is where the words appear; each has its module, holding one entry per key with both languages side by
side (``TABLE[key] == {"en": ..., "zh": ...}``):

- ``map``: the interactive map (:mod:`planner.text.map`);
- ``whatif``: the what-if page's panel, tooltips and legend (:mod:`planner.text.whatif`);
- ``cli``: the lines the command line prints, and what each output file holds (:mod:`planner.text.cli`);
- ``chart``: the coverage curve's PNG (:mod:`planner.text.chart`);
- ``report``: the committee report (:mod:`planner.text.report`);
- ``account``: the account of every resident and site, in the CLI and the report (:mod:`planner.text.account`);
- ``sheet``: ``stations.xlsx``'s headers and values (:mod:`planner.text.sheet`).

``words(lang, surface)[key]`` is a :class:`~planner.text.phrase.Phrase`: its ``format`` fills in the fields and
makes a count's noun and verb agree with it in English (``{n} {n:station|stations}``). Every key has both
languages and the same fields in each (``tests/test_text.py``). Errors and warnings are English only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from planner.errors import InputError
from planner.text.account import ACCOUNT
from planner.text.chart import CHART
from planner.text.cli import CLI
from planner.text.map import MAP
from planner.text.phrase import Phrase
from planner.text.report import REPORT
from planner.text.sheet import SHEET
from planner.text.whatif import WHATIF

__all__ = ["LANGS", "TABLES", "Phrase", "check_lang", "words"]

#: the languages every table has
LANGS = ("en", "zh")

#: the tables by surface: ``TABLES[surface][key][lang]``
TABLES: Mapping[str, Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "map": MAP,
        "whatif": WHATIF,
        "cli": CLI,
        "chart": CHART,
        "report": REPORT,
        "account": ACCOUNT,
        "sheet": SHEET,
    }
)


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`, else :class:`~planner.errors.InputError`."""
    if lang not in LANGS:
        raise InputError(f"lang={lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def words(lang: str, surface: str) -> Mapping[str, Phrase]:
    """
    The phrases of one surface in one language, by key (read-only).

    Parameters
    ----------
    lang
        ``"en"`` or ``"zh"``.
    surface
        ``map``, ``whatif``, ``cli``, ``chart``, ``report``, ``account`` or ``sheet`` (a key of :data:`TABLES`).

    Returns
    -------
    Mapping[str, Phrase]
        ``words("zh", "map")["legend"] == "图例"``; format a phrase with its fields:
        ``words("en", "cli")["wrote"].format(path=path)``.

    Raises
    ------
    InputError
        A language not in :data:`LANGS`.
    KeyError
        A surface not in :data:`TABLES`.
    """
    check_lang(lang)
    if surface not in TABLES:
        raise KeyError(f"surface={surface!r}: expected one of {', '.join(TABLES)}")
    return _words(lang, surface)


@functools.cache
def _words(lang: str, surface: str) -> Mapping[str, Phrase]:
    return MappingProxyType({key: Phrase(entry[lang]) for key, entry in TABLES[surface].items()})
