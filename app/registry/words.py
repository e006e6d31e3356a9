"""The registry editor's texts in zh-CN and English: field labels and hints, and what
the web form says beside a field for each kind of problem the validator and the
operations find (by the error's ``code``, filled from its ``params``).

Kept as pairs in code (app/i18n/words.py), as the map's and the alerts' words are: the
editor, its script's hours preview and the tests read the same table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.i18n.words import Words
from app.registry.rules import FieldError

W = Words

#: Field labels, by the validator's (and the API's) field name.
LABELS: dict[str, Words] = {
    "external_id": W("登记编号", "Registry ID"),
    "kind": W("类型", "Kind"),
    "site_id": W("所在站点", "Site"),
    "name": W("名称(中文)", "Name (Chinese)"),
    "name_en": W("名称(英文)", "Name (English)"),
    "address": W("地址", "Address"),
    "lat": W("纬度 (WGS-84)", "Latitude (WGS-84)"),
    "lon": W("经度 (WGS-84)", "Longitude (WGS-84)"),
    "indoor": W("位于室内", "Indoors"),
    "level": W("楼层", "Floor"),
    "cabinet": W("具体位置(中文)", "Where exactly (Chinese)"),
    "cabinet_en": W("具体位置(英文)", "Where exactly (English)"),
    "access_hours": W("开放时间", "Access hours"),
    "opening_hours": W("开放时间", "Opening hours"),
    "public": W("显示在公众地图上", "Shown on the public map"),
    "guardian_name": W("守护人姓名", "Guardian's name"),
    "guardian_phone": W("守护人电话", "Guardian's phone"),
    "contact_name": W("联系人", "Contact"),
    "contact_phone": W("联系电话", "Contact phone"),
    "manufacturer": W("生产厂家", "Manufacturer"),
    "model": W("型号", "Model"),
    "serial": W("序列号", "Serial number"),
    "install_date": W("安装日期", "Installed on"),
    "pad_expiry": W("电极片有效期至", "Pads expire on"),
    "battery_expiry": W("电池有效期至", "Battery expires on"),
    "paediatric_pads": W("配有儿童电极片", "Has child pads"),
    "paediatric_pad_expiry": W("儿童电极片有效期至", "Child pads expire on"),
    "device": W("监测设备(网关/设备)", "Monitoring device (gateway/device)"),
    "photo": W("照片", "Photo"),
    "team_id": W("负责队伍", "Team"),
    "reason": W("停用原因", "Why it is retired"),
}

#: Hints under a field.
HINTS: dict[str, Words] = {
    "external_id": W("留空则自动生成。", "Left empty, one is made for you."),
    "position": W("在地图上点击或拖动标记来设置位置;也可以直接输入经纬度。",
                  "Tap the map or drag the marker to set the position, or type the "
                  "latitude and longitude."),
    "level": W("例如 0(地面层)、1、-1(地下一层)。", "E.g. 0 (ground floor), 1, -1 (basement)."),
    "cabinet": W("例如:东侧入口柜内", "E.g. in the cabinet at the east entrance"),
    "access_hours": W("OpenStreetMap 格式,例如 24/7 或 Mo-Fr 08:00-18:00; Sa 09:00-12:00",
                      "OpenStreetMap format, e.g. 24/7 or Mo-Fr 08:00-18:00; Sa 09:00-12:00"),
    "guardian": W("个人信息:仅协调员和管理员可见,绝不公开。",
                  "Personal data: coordinators and admins only, never public."),
    "photo": W("JPEG、PNG 或 WebP,小于 15 MB。上传新照片会替换旧照片。",
               "JPEG, PNG or WebP under 15 MB. A new photo replaces the old one."),
    "device": W("只列出尚未绑定到在用 AED 的设备。", "Only devices not bound to an AED in "
                "service are listed."),
    "retire": W("停用后记录和历史都会保留;它会从地图、工作清单、最近 AED 和告警中移除,"
                "未关闭的告警以“已停用”和停用原因关闭。此操作不能撤销。",
                "Retiring keeps the record and its history; it leaves the maps, the "
                "worklist, nearest AEDs and alerts, and its open alerts are closed as "
                "retired, with the reason. This cannot be undone."),
    "retire_site": W("站点内在用的 AED 和急救包会一并停用。",
                     "Its AEDs and kits in service are retired with it."),
}

#: What the form says for each problem, by its code.
ERRORS: dict[str, Words] = {
    "required": W("请填写此项。", "Please fill this in."),
    "too_long": W("最多 %(max)d 个字符。", "At most %(max)d characters."),
    "nul": W("含有无法保存的字符。", "Contains a character that cannot be stored."),
    "surrogate": W("含有无法保存的字符。", "Contains a character that cannot be stored."),
    "not_text": W("必须是文字。", "Must be text."),
    "not_number": W("请输入数字,例如 31.2517。", "Enter a number, e.g. 31.2517."),
    "out_of_range": W("必须在 %(lo)s 到 %(hi)s 之间。", "Must be between %(lo)s and %(hi)s."),
    "not_yes_no": W("请选择是或否。", "Choose yes or no."),
    "not_date": W("请按 YYYY-MM-DD 输入日期。", "Enter a date as YYYY-MM-DD."),
    "date_out_of_range": W("日期须在 %(first)d 年至 %(last)d 年之间。",
                           "The date must be between %(first)d and %(last)d."),
    "not_a_choice": W("请从列表中选择。", "Choose one from the list."),
    "in_future": W("不能晚于今天。", "Cannot be after today."),
    "no_child_pads": W("请勾选“配有儿童电极片”,或清空此日期。",
                       "Tick “Has child pads”, or clear this date."),
    "taken": W("此编号已被使用。", "This ID is already in use."),
    "not_id": W("请从列表中选择。", "Choose one from the list."),
    "unknown": W("请从列表中选择。", "Choose one from the list."),
    "unknown_site": W("没有这个站点。", "There is no such site."),
    "site_retired": W("这个站点已停用。", "This site is retired."),
    "unknown_team": W("没有这个队伍。", "There is no such team."),
    "not_device_ref": W("请按“网关/设备”填写,例如 gw-yp-001/cab-1。",
                        "Write it as gateway/device, e.g. gw-yp-001/cab-1."),
    "unknown_device": W("没有这个设备。", "There is no such device."),
    "device_taken": W("此设备已绑定到 %(other)s。", "This device is bound to %(other)s."),
    "hours_unknown": W("无法识别的开放时间(%(why)s):已按原文保存,地图上显示为“未知”。",
                       "Not understood as opening hours (%(why)s): saved as typed, and "
                       "shown as unknown."),
    "stock_left": W("此站点仍存放 %(lots)d 批物资:请先在补货页面取出。",
                    "The station still holds %(lots)d lots of supplies: take them out on "
                    "its restock page first."),
    "photo": W("照片须为 JPEG、PNG 或 WebP 格式,小于 15 MB。",
               "The photo must be a JPEG, PNG or WebP image under 15 MB."),
}

#: Everything else the pages say.
TEXTS: dict[str, Words] = {
    "registry": W("登记管理", "Registry"),
    "search": W("搜索名称或编号", "Search name or ID"),
    "search_button": W("搜索", "Search"),
    "show_retired": W("包括已停用", "Include retired"),
    "sites": W("站点", "Sites"),
    "assets": W("AED 和急救包", "AEDs and kits"),
    "new_site": W("新增站点", "Add a site"),
    "new_asset": W("新增 AED 或急救包", "Add an AED or kit"),
    "edit_site": W("编辑站点", "Edit site"),
    "edit_asset": W("编辑 AED 或急救包", "Edit AED or kit"),
    "edit": W("编辑", "Edit"),
    "retire": W("停用", "Retire"),
    "retire_site": W("停用站点", "Retire site"),
    "retire_asset": W("停用 AED 或急救包", "Retire AED or kit"),
    "retire_confirm": W("我确认停用,且此操作不能撤销", "I confirm: retire it; this cannot "
                        "be undone"),
    "retire_confirm_needed": W("请勾选确认。", "Tick the box to confirm."),
    "retired": W("已停用", "Retired"),
    "retired_on": W("%(day)s 停用:%(reason)s", "Retired on %(day)s: %(reason)s"),
    "save": W("保存", "Save"),
    "cancel": W("取消", "Cancel"),
    "none": W("无", "None"),
    "no_match": W("没有匹配的记录。", "Nothing matches."),
    "not_saved": W("尚未保存:请修改标出的项目。", "Nothing was saved yet: please correct the "
                   "marked fields."),
    "saved_site": W("站点已保存。", "Site saved."),
    "saved_asset": W("已保存。", "Saved."),
    "created_site": W("站点已新增。", "Site added."),
    "created_asset": W("已新增。", "Added."),
    "retired_done": W("已停用,记录和历史已保留。", "Retired; its record and history are kept."),
    "status_now": W("当前状态", "Status now"),
    "where": W("位置", "Where"),
    "device_details": W("设备信息", "Device"),
    "dates": W("有效期", "Expiry dates"),
    "guardian": W("守护人", "Guardian"),
    "no_device": W("无(未监测)", "None (not monitored)"),
    "no_team": W("无", "None"),
    "choose": W("请选择", "Choose"),
    "current_photo": W("当前照片", "Current photo"),
    "map": W("位置地图", "Position map"),
    "map_hint_no_js": W("地图需要 JavaScript;也可以直接输入经纬度。",
                        "The map needs JavaScript; you can type the latitude and longitude."),
    "hours_open": W("现在开放", "Open now"),
    "hours_open_until": W("现在开放,%(at)s 关闭", "Open now, closes %(at)s"),
    "hours_closed": W("现在关闭", "Closed now"),
    "hours_closed_opens": W("现在关闭,%(at)s 开放", "Closed now, opens %(at)s"),
    "hours_unknown": W("开放时间未知", "Hours unknown"),
    "hours_empty": W("未填写:地图上显示为“未知”", "Not given: shown as unknown"),
    "hours_checking": W("正在检查…", "Checking…"),
    "assets_here": W("此站点的 AED 和急救包", "AEDs and kits here"),
    "add_here": W("在此站点新增 AED 或急救包", "Add an AED or kit here"),
    "yes": W("是", "yes"),
    "no": W("否", "no"),
    "kind_aed": W("AED", "AED"),
    "kind_first_aid_kit": W("急救包", "First-aid kit"),
}

#: Site kinds, as the form's choice shows them.
SITE_KIND_WORDS: dict[str, Words] = {
    "riverside_point": W("滨江点位", "Riverside point"),
    "party_service_station": W("党群服务站", "Party service station"),
    "first_aid_station": W("急救站", "First-aid station"),
    "community_centre": W("社区中心", "Community centre"),
    "school": W("学校", "School"),
    "scenic_area": W("景区", "Scenic area"),
    "hospital": W("医院", "Hospital"),
    "transport": W("交通站点", "Transport"),
    "office": W("办公楼", "Office"),
    "other": W("其他", "Other"),
}


def error_text(error: FieldError, locale: str | None) -> str:
    """The form's words for a problem (its English reason when no words are known)."""
    words = ERRORS.get(error.code)
    if words is None:
        return error.reason
    template = words.in_(locale)
    return template % dict(error.params) if error.params else template


def text(key: str, locale: str | None, **params: Any) -> str:
    template = TEXTS[key].in_(locale)
    return template % params if params else template


def label(name: str, locale: str | None) -> str:
    return LABELS[name].in_(locale)


def in_locale(table: Mapping[str, Words], locale: str | None) -> dict[str, str]:
    return {key: words.in_(locale) for key, words in table.items()}
