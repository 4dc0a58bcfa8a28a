"""The account's words (:class:`planner.ledger.Ledger` in words): its classes, blocks and notes.

Rendered by :mod:`planner.outputs.account` for the command line and the report. ``{minutes}``, ``{tier}`` and
``{metres}`` are the plan's walk, its tier walk and the snapping distance. English and Chinese side by side.
"""

from __future__ import annotations

__all__ = ["ACCOUNT"]

#: the account's phrases: ``ACCOUNT[key][lang]``
ACCOUNT: dict[str, dict[str, str]] = {
    "covered": {"en": "covered: a station within {minutes:g} min", "zh": "已覆盖：步行{minutes:g}分钟内有站点"},
    "not_covered": {"en": "coverable, not covered by this plan", "zh": "可覆盖，本方案未覆盖"},
    "only_unusable": {
        "en": "only sites unusable under the tiers within {minutes:g} min",
        "zh": "步行{minutes:g}分钟内仅有分层方案不可用的站点",
    },
    "no_candidate": {"en": "no candidate within {minutes:g} min", "zh": "步行{minutes:g}分钟内没有任何候选点"},
    "off_network": {"en": "no street within {metres:g} m", "zh": "距任何街道超过{metres:g}米"},
    "outside_boundary": {"en": "outside the planning boundary", "zh": "在规划范围以外"},
    "outside_boundary_raster": {
        "en": "in the raster, outside the planning boundary or study area",
        "zh": "在栅格中、规划范围或研究区以外",
    },
    "outside_window": {"en": "in the raster, beyond the window read", "zh": "在栅格中、读取范围以外"},
    "centre_within": {"en": "a community centre within {tier:g} min", "zh": "步行{tier:g}分钟内有社区党群服务中心"},
    "centre_beyond": {
        "en": "a possible centre within {tier:g} min, none chosen",
        "zh": "步行{tier:g}分钟内有可建中心的候选点，但未选中",
    },
    "no_possible_centre": {
        "en": "no possible community centre within {tier:g} min",
        "zh": "步行{tier:g}分钟内没有可建社区党群服务中心的候选点",
    },
    "site_new": {"en": "new stations", "zh": "新建站点"},
    "site_existing": {"en": "existing stations kept", "zh": "保留的现有站点"},
    "site_not_chosen": {"en": "candidates not chosen", "zh": "未选中的候选点"},
    "site_unusable": {"en": "unusable under the tiers", "zh": "分层方案中不可用"},
    "site_off_network": {"en": "off the streets", "zh": "远离街道"},
    "site_outside_boundary": {"en": "outside the planning boundary", "zh": "在规划范围以外"},
    "site_duplicate": {"en": "duplicates", "zh": "重复"},
    "homes_head": {"en": "Every resident of the input, once", "zh": "输入中的每位居民（各计一次）"},
    "centres_head": {"en": "Walk to a community centre", "zh": "到社区党群服务中心的步行"},
    "sites_head": {"en": "Every site of the input, once", "zh": "输入中的每个站点（各计一次）"},
    "homes": {"en": "homes", "zh": "户数"},
    "residents": {"en": "residents", "zh": "居民"},
    "sites": {"en": "sites", "zh": "站点"},
    "total": {"en": "total", "zh": "合计"},
    "account_h": {
        "en": "Every resident and every site of the input, once",
        "zh": "输入中的每位居民和每个站点（各计一次）",
    },
    "account_note": {
        "en": "Each resident of the input is in exactly one row of the first table (and, in a tiered plan, of the "
        "second); each site in one row of the last. Every figure of this report, of the map and of the files "
        "comes from this account.",
        "zh": "输入中的每位居民恰好属于第一张表中的一行（分层方案另属第二张表中的一行），"
        "每个站点恰好属于最后一张表中的一行。本报告、地图和各文件中的所有数字都来自这份账目。",
    },
    "left_out_classes": {"en": "Residents not covered, by reason", "zh": "未覆盖的居民（按原因）"},
    "centre_note": {
        "en": "Walk to a community centre: homes with no possible community centre within {tier:g} min: {n:,}; their "
        "residents: {pop}. No plan can give them a centre within that walk.",
        "zh": "到社区党群服务中心的步行：步行{tier:g}分钟内没有可建社区党群服务中心候选点的住户{n:,}户，居民{pop}人；"
        "任何方案都无法让他们在该步行时间内到达中心。",
    },
}
