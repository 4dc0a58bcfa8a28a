"""The charts' words: the coverage curve ``planner curve`` draws (``curve.png``).

One entry per key, English and Chinese side by side (the Chinese is drawn only with a CJK font).
"""

from __future__ import annotations

__all__ = ["CHART"]

#: the charts' phrases: ``CHART[key][lang]``
CHART: dict[str, dict[str, str]] = {
    "all": {"en": "of all residents", "zh": "占全部居民"},
    "reachable": {"en": "of the residents some candidate reaches", "zh": "占候选点可达的居民"},
    "x": {"en": "stations (p)", "zh": "站点数（p）"},
    "y": {"en": "residents within {minutes:g} min (%)", "zh": "步行{minutes:g}分钟内的居民（%）"},
    "title": {"en": "Coverage curve (exact optimum per p)", "zh": "覆盖曲线（每个p的精确最优解）"},
}
