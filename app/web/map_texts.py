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
    "closes_at": Words("{time} 关闭", "closes {time}"),
    "opens_at": Words("{day} {time} 开放", "opens {day} {time}"),
    "today": Words("今天", "today"),
    "weekdays": Words("周一 周二 周三 周四 周五 周六 周日", "Mon Tue Wed Thu Fri Sat Sun"),
    "details": Words("查看详情", "Details"),
    "contact": Words("联系人", "Contact"),
    "legend": Words("图例", "Legend"),
    "too_many": Words("此区域标记过多,请放大查看", "Too many markers here: zoom in"),
    "load_error": Words("地图数据加载失败", "Could not load map data"),
    "shown": Words("显示", "Shown"),
}
#: The number a bystander calls: mainland China's medical emergency number.
EMERGENCY_NUMBER = "120"
#: The public map's emergency panel (maps.builder.EMERGENCY_KEYS but ``call``).
EMERGENCY: dict[str, Words] = {
    "call_label": Words("拨打 120 急救电话", "Call 120 (ambulance)"),
    "heading": Words("最近的可用 AED", "Nearest AED available now"),
    "locating": Words("正在定位…", "Finding your position…"),
    "none": Words("附近没有现在可用的 AED,请拨打 120", "No AED available now nearby: call 120"),
    "error": Words("无法获取您的位置,请允许定位后重试", "Could not get your position: allow "
                   "location and try again"),
    "retry": Words("重新定位", "Locate again"),
    "distance": Words("距您约 {distance}", "About {distance} away"),
    "amap": Words("高德步行导航", "Walk there (Amap)"),
    "baidu": Words("百度步行导航", "Walk there (Baidu)"),
    "where": Words("位置:", "Where:"),
}
TITLE = Words("AED 地图 · 杨浦红十字会", "AED map · Yangpu Red Cross")
PUBLIC_TITLE = Words("公共 AED 地图 · 杨浦", "Public AED map · Yangpu")


def map_text(locale: str | None) -> dict[str, str]:
    return {key: words.in_(locale) for key, words in TEXT.items()}


def map_title(locale: str | None, public: bool) -> str:
    return (PUBLIC_TITLE if public else TITLE).in_(locale)


def emergency_text(locale: str | None) -> dict[str, str]:
    return {"call": EMERGENCY_NUMBER, **{key: words.in_(locale) for key, words in EMERGENCY.items()}}
