"""Chinese text in matplotlib charts: find an installed CJK font, and draw a figure with it.

Matplotlib's default font (DejaVu Sans) has no Chinese characters: a label in Chinese comes out
as empty boxes, with a "Glyph ... missing from font(s)" warning. :func:`cjk_font` finds a font
that has them, among :data:`CJK_FAMILIES` (Noto Sans CJK, Source Han, WenQuanYi, SimHei,
Microsoft YaHei, PingFang...), and :func:`chart_fonts` puts it first for the figures drawn in a
``with`` block::

    from planner.outputs.fonts import chart_fonts

    with chart_fonts("zh") as chinese:
        fig, ax = plt.subplots()
        ax.set_title("覆盖曲线" if chinese else "Coverage curve")
        fig.savefig("chart.png")  # draw inside the block: fonts are chosen when the text is drawn

Without a CJK font, :func:`chart_fonts` yields ``False`` and warns once with a
:class:`CJKFontWarning` naming the Debian package to install (:data:`FONT_PACKAGES`); the
command line prints that warning as one line. A font installed after matplotlib built its
font cache is found too: the system's font files are scanned and added when the cache has none.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["CJK_FAMILIES", "FONT_PACKAGES", "CJKFontWarning", "chart_fonts", "cjk_font", "no_cjk_font_message"]

#: font families with simplified Chinese, preferred first (the JP / KR / TC faces of Noto and Source Han
#: hold the same characters, with regional shapes for a few)
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "SimSun",
    "Songti SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "Noto Serif CJK JP",
    "Droid Sans Fallback",
)

#: Debian / Ubuntu packages that install one (``apt-get install fonts-noto-cjk``)
FONT_PACKAGES = ("fonts-noto-cjk", "fonts-wqy-zenhei")

#: parts of font file names that may hold one of :data:`CJK_FAMILIES` (scanned when matplotlib's cache has none)
_FILE_HINTS: tuple[str, ...] = ("cjk", "wqy", "sourcehan", "source-han", "simhei", "simsun", "msyh", "yahei")
_FILE_HINTS += ("pingfang", "hiragino", "stheiti", "songti", "uming", "ukai", "droidsansfallback", "notosanssc")

#: the answer of the first lookup, once looked up: ``[family or None]``
_found: list[str | None] = []


class CJKFontWarning(UserWarning):
    """No font with Chinese characters is installed: a chart is drawn with English labels."""


def no_cjk_font_message() -> str:
    """The one line that says no CJK font is installed, and how to install one."""
    return (
        "no Chinese (CJK) font is installed for the charts, so they are labelled in English; install one, e.g. "
        f"apt-get install {FONT_PACKAGES[0]} (or {FONT_PACKAGES[1]}), or Noto Sans CJK / Source Han Sans elsewhere"
    )


def cjk_font() -> str | None:
    """
    The family name of an installed font with Chinese characters.

    Looks in matplotlib's font list first; when none of :data:`CJK_FAMILIES` is
    there (a font installed after matplotlib built its cache), scans the system's
    font files whose names suggest one and adds them to matplotlib's font manager.
    The answer is kept for the rest of the process.

    Returns
    -------
    str or None
        The first of :data:`CJK_FAMILIES` installed, or ``None``.
    """
    if not _found:
        _found.append(_lookup())
    return _found[0]


def _lookup() -> str | None:
    from matplotlib import font_manager

    def first() -> str | None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    family = first()
    if family is not None:
        return family
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("_", "")
        if any(hint in name for hint in _FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable or unsupported font file
                continue
    return first()


@contextmanager
def chart_fonts(lang: str = "zh") -> Iterator[bool]:
    """
    Matplotlib settings for the figures drawn in the block, so that text in ``lang`` shows.

    Parameters
    ----------
    lang
        ``"zh"``: :func:`cjk_font` first in ``font.sans-serif`` (matplotlib falls back to
        the next font for a character it lacks) and an ASCII minus sign. Any other value
        changes nothing.

    Yields
    ------
    bool
        Whether text in ``lang`` can be drawn: ``False`` for ``"zh"`` when no CJK font is
        installed (then a :class:`CJKFontWarning` says so; label the chart in English).
        Create *and* save the figure inside the block: the font of a text is chosen when
        it is drawn.
    """
    import matplotlib

    if lang != "zh":
        yield True
        return
    family = cjk_font()
    if family is None:
        warnings.warn(no_cjk_font_message(), CJKFontWarning, stacklevel=3)
        yield False
        return
    fallback = [name for name in matplotlib.rcParams["font.sans-serif"] if name != family]
    # a CJK font often comes in one weight (WenQuanYi Zen Hei: medium only), used for all text: not worth a log line
    log = logging.getLogger("matplotlib.font_manager")
    log.addFilter(_one_weight)
    try:
        with matplotlib.rc_context(
            {"font.family": ["sans-serif"], "font.sans-serif": [family, *fallback], "axes.unicode_minus": False}
        ):
            yield True
    finally:
        log.removeFilter(_one_weight)


def _one_weight(record: logging.LogRecord) -> bool:
    """Drop matplotlib's "findfont: Failed to find font weight" lines (the font's own weight is used)."""
    return not str(record.msg).startswith("findfont: Failed to find font weight")
