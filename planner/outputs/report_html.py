"""The report's HTML pieces: its phrases formatted and escaped, escaping, figures as printed, tables.

Every string from OSM or a user's file is escaped here before it reaches the page (:func:`escape`), and every
phrase after it is formatted (:class:`ReportText`), so names are escaped whether they stand alone or in a phrase.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from planner.text import words

__all__ = ["ReportText", "escape", "html_table", "number", "percent"]


class ReportText:
    """The report's phrases in one language: ``t(key, **values)`` formats and HTML-escapes (values may be OSM text).

    ``t.phrases`` are the phrases unformatted (:func:`planner.text.words` of the ``report`` surface).
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.phrases = words(lang, "report")

    def __call__(self, key: str, **values: Any) -> str:
        """The phrase ``key`` with ``values`` filled in, HTML-escaped."""
        return html.escape(self.phrases[key].format(**values), quote=True)


def escape(value: Any) -> str:
    """HTML-escape a string from OSM or a user's file."""
    return html.escape(str(value), quote=True)


def number(value: float) -> str:
    """A count of residents as the report prints it: thousands separators, no decimals."""
    return f"{value:,.0f}"


def percent(share: float) -> str:
    """A share as the report prints it: a percentage to one decimal."""
    return f"{share:.1%}"


def html_table(
    head: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[int] = (), css: str = ""
) -> str:
    """A table of already-escaped cells; ``numeric`` columns right-aligned; the header repeats on each printed page."""

    def cells(row: Sequence[str], tag: str) -> str:
        return "".join(f"<{tag}{' class=num' if i in numeric else ''}>{c}</{tag}>" for i, c in enumerate(row))

    body = "\n".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f'<table class="{css}">\n<thead><tr>{cells(head, "th")}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>'
