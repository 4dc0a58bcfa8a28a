"""Charts (matplotlib, drawn off screen): the coverage curve, in English or Chinese."""

from __future__ import annotations

import io

import pandas as pd

from planner.text import check_lang, words

__all__ = ["curve_png"]


def curve_png(curve: pd.DataFrame, minutes: float, lang: str = "en") -> bytes:
    """
    The coverage curve as PNG bytes: per number of stations, the share of all residents and of the reachable ones.

    Parameters
    ----------
    curve
        :func:`planner.optimize.coverage_curve`'s table (``p``, ``covered_share``).
    minutes
        The walk, for the axis label.
    lang
        ``"en"`` or ``"zh"``: title, axis labels and legend (:mod:`planner.text.chart`).
        In Chinese with a CJK font (:func:`planner.outputs.fonts.cjk_font`); without one, in English with a
        :class:`planner.outputs.fonts.CJKFontWarning`.

    Returns
    -------
    bytes
        A PNG without a timestamp (the same bytes for the same curve).

    Raises
    ------
    InputError
        A language other than ``"en"`` and ``"zh"``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from planner.outputs.fonts import chart_fonts

    check_lang(lang)  # an unknown language fails before any drawing
    with chart_fonts(lang) as shown:
        t = words(lang if shown else "en", "chart")
        fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
        ax.plot(curve["p"], 100 * curve["covered_share"], marker="o", color="#d7301f", label=t["all"])
        if "coverable_share" in curve:
            ax.plot(
                curve["p"],
                100 * curve["coverable_share"],
                marker="s",
                ls="--",
                color="#3182bd",
                label=t["reachable"],
            )
        for target in (80, 90, 95):
            ax.axhline(target, color="#999", lw=0.6, ls=":")
        ax.set_xlabel(t["x"])
        ax.set_ylabel(t["y"].format(minutes=minutes))
        ax.set_ylim(0, 101)
        ax.set_title(t["title"])
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()
