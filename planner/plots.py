"""Charts (matplotlib, drawn off screen): the coverage curve."""

from __future__ import annotations

import io

import pandas as pd

__all__ = ["curve_png"]


def curve_png(curve: pd.DataFrame, minutes: float) -> bytes:
    """
    The coverage curve as PNG bytes: per number of stations, the share of all residents and of the reachable ones.

    Parameters
    ----------
    curve
        :func:`planner.optimize.coverage_curve`'s table (``p``, ``covered_share``).
    minutes
        The walk, for the axis label.

    Returns
    -------
    bytes
        A PNG without a timestamp (the same bytes for the same curve).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot(curve["p"], 100 * curve["covered_share"], marker="o", color="#d7301f", label="of all residents")
    if "coverable_share" in curve:
        ax.plot(
            curve["p"],
            100 * curve["coverable_share"],
            marker="s",
            ls="--",
            color="#3182bd",
            label="of the residents some candidate reaches",
        )
    for target in (80, 90, 95):
        ax.axhline(target, color="#999", lw=0.6, ls=":")
    ax.set_xlabel("stations (p)")
    ax.set_ylabel(f"residents within {minutes:g} min (%)")
    ax.set_ylim(0, 101)
    ax.set_title("Coverage curve (exact optimum per p)")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
