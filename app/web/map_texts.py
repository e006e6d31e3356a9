"""The map page's own words (layer names, controls, popup captions, the title).

maps/ owns no words: the page hands its builder these, with the status legend from
app/mapping/statuses.py, in the reader's language.
"""

from __future__ import annotations

from app.i18n.words import Words

TEXT: dict[str, Words] = {
    "layer_aed": Words("AED 除颤仪", "AEDs"),
    "layer_station": Words("急救站", "First-aid stations"),
    "layer_gateway": Words("离线网关", "Offline gateways"),
    "search": Words("搜索名称", "Search by name"),
    "open_now": Words("仅显示现在开放", "Open now only"),
    "nearest": Words("查找最近可用 AED", "Nearest ready AED"),
    "nearest_busy": Words("正在定位…", "Locating…"),
    "nearest_none": Words("附近没有找到可用 AED", "No ready AED found nearby"),
    "nearest_error": Words("无法获取位置或结果", "Could not get your position or results"),
    "pad_expiry": Words("电极片有效期", "Pads expire"),
    "battery_expiry": Words("电池有效期", "Battery expires"),
    "last_check": Words("上次检查", "Last check"),
    "access_hours": Words("开放时间", "Access hours"),
    "open": Words("现在开放", "Open now"),
    "closed": Words("现在关闭", "Closed now"),
    "hours_unknown": Words("开放时间未知", "Hours unknown"),
    "details": Words("查看详情", "Details"),
    "contact": Words("联系人", "Contact"),
    "legend": Words("图例", "Legend"),
    "too_many": Words("此区域标记过多,请放大查看", "Too many markers here: zoom in"),
    "load_error": Words("地图数据加载失败", "Could not load map data"),
    "shown": Words("显示", "Shown"),
}
TITLE = Words("AED 地图 · 杨浦红十字会", "AED map · Yangpu Red Cross")
PUBLIC_TITLE = Words("公共 AED 地图 · 杨浦", "Public AED map · Yangpu")


def map_text(locale: str | None) -> dict[str, str]:
    return {key: words.in_(locale) for key, words in TEXT.items()}


def map_title(locale: str | None, public: bool) -> str:
    return (PUBLIC_TITLE if public else TITLE).in_(locale)
