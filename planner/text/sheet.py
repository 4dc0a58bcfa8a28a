"""The words of ``stations.xlsx``: its column headers (``column_<name>``), values (``<column>_<value>``), yes / no.

The English sheet is the station table as ``stations.csv`` has it (its column names and values, ``existing`` as
booleans): the English entries are those names and values. The Chinese sheet renames and translates them.
"""

from __future__ import annotations

__all__ = ["SHEET"]

#: the station sheet's words: ``SHEET[key][lang]``
SHEET: dict[str, dict[str, str]] = {
    "column_site_id": {"en": "site_id", "zh": "站点编号"},
    "column_name": {"en": "name", "zh": "名称"},
    "column_tier": {"en": "tier", "zh": "层级"},
    "column_kind": {"en": "kind", "zh": "类型"},
    "column_status": {"en": "status", "zh": "状态"},
    "column_existing": {"en": "existing", "zh": "现有站点"},
    "column_lon": {"en": "lon", "zh": "经度（WGS-84）"},
    "column_lat": {"en": "lat", "zh": "纬度（WGS-84）"},
    "column_gcj02_lon": {"en": "gcj02_lon", "zh": "经度（GCJ-02，高德）"},
    "column_gcj02_lat": {"en": "gcj02_lat", "zh": "纬度（GCJ-02，高德）"},
    "column_population_within": {"en": "population_within", "zh": "步行范围内居民"},
    "column_population_assigned": {"en": "population_assigned", "zh": "分配居民数（每户只计一次）"},
    "column_farthest_assigned_minutes": {"en": "farthest_assigned_minutes", "zh": "最远分配步行（分钟）"},
    "column_cost": {"en": "cost", "zh": "费用"},
    "tier_centre": {"en": "centre", "zh": "社区党群服务中心"},
    "tier_grid": {"en": "grid", "zh": "网格站"},
    "status_new": {"en": "new", "zh": "新建"},
    "status_existing": {"en": "existing", "zh": "现有"},
    "kind_community_centre": {"en": "community_centre", "zh": "社区中心"},
    "kind_social_centre": {"en": "social_centre", "zh": "社会活动中心"},
    "kind_social_facility": {"en": "social_facility", "zh": "社会服务设施"},
    "kind_townhall": {"en": "townhall", "zh": "政府办公楼"},
    "kind_library": {"en": "library", "zh": "图书馆"},
    "kind_public_building": {"en": "public_building", "zh": "公共建筑"},
    "kind_post_office": {"en": "post_office", "zh": "邮局"},
    "kind_property_management": {"en": "property_management", "zh": "物业用房"},
    "kind_government": {"en": "government", "zh": "政府机关"},
    "kind_association": {"en": "association", "zh": "社会团体"},
    "kind_park": {"en": "park", "zh": "公园"},
    "kind_playground": {"en": "playground", "zh": "游乐场"},
    "kind_fitness_station": {"en": "fitness_station", "zh": "健身点"},
    "kind_common": {"en": "common", "zh": "公共绿地"},
    "kind_square": {"en": "square", "zh": "广场"},
    "kind_file": {"en": "file", "zh": "规划提供"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
}
