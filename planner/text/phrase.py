"""A phrase: a string whose ``format`` makes a count's noun and verb agree with it in English.

A field whose format spec holds ``|`` gives the words before the bar for a count of 1 and those after it
otherwise, so ``{n} {n:station|stations} {n:covers|cover}`` reads "1 station covers", "2 stations cover".
Chinese has no plural: its phrases use no such field.
"""

from __future__ import annotations

import string
from typing import Any

__all__ = ["Phrase"]


class _CountFormatter(string.Formatter):
    """:meth:`str.format`, except that a field ``{n:one|other}`` gives ``one`` when ``n == 1``, else ``other``."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, other = format_spec.split("|", 1)
            return one if value == 1 else other
        return super().format_field(value, format_spec)


_COUNTS = _CountFormatter()


class Phrase(str):
    """
    A phrase of the report, the map or the command line: a string whose ``format`` agrees words with counts.

    ``Phrase("{n} {n:station|stations}").format(n=1)`` is ``"1 station"``, with ``n=2`` ``"2 stations"``: a field
    whose format spec holds ``|`` is replaced by the words before the bar when its value equals 1 and by those
    after it otherwise (the value itself is not printed). Every other field formats as :meth:`str.format` does.
    """

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        """The phrase with its fields filled in, nouns and verbs agreeing with their counts."""
        return _COUNTS.vformat(self, args, kwargs)

    def format_map(self, mapping: Any) -> str:
        """:meth:`format` with the values of ``mapping`` (anything indexable by name, as for :meth:`str.format_map`)."""
        return _COUNTS.vformat(self, (), mapping)
