"""Demo data for the Yangpu riverside, Shanghai.

Every position here is an invented WGS-84 point near the north bank of the Huangpu in
Yangpu (31.245-31.285 N, 121.50-121.57 E); sites are flagged `is_fictional`. Names follow
the places the district Red Cross works in: the riverside "人人屋" party-service
stations, the first-aid post at the fashion-centre station, the 12 subdistrict branches
and the volunteer teams.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DISTRICT = ("yp-redcross", "杨浦区红十字会", "Yangpu District Red Cross")

#: The demo's tables (organisations, supplies, stock), kept as data.
TABLES_FILE = Path(__file__).with_name("yangpu.toml")
_TABLES = tomllib.loads(TABLES_FILE.read_text("utf-8"))

# (code, Chinese, English)
SUBDISTRICTS: list[tuple[str, str, str]] = [
    (code, row["name"], row["name_en"]) for code, row in _TABLES["subdistricts"].items()]

# (code, Chinese, English, organisation code, leader). The seven district teams
# (区属红十字志愿服务队) are the article's; the subdistricts' AED check teams are the
# demo's own. Leaders' names are invented.
TEAMS: list[tuple[str, str, str, str, str]] = [
    ("shanxin", "善馨红十字应急志愿服务队", "Shanxin Red Cross Emergency Volunteers",
     "yp-redcross", "李志强"),
    ("aizhiyuan", "爱之源红十字志愿服务队", "Aizhiyuan Red Cross Volunteers",
     "yp-redcross", "陈美华"),
    ("daqiao-aed", "大桥街道AED巡检队", "Daqiao AED Check Team", "daqiao", "王晓东"),
    ("pingliang-aed", "平凉路街道AED巡检队", "Pingliang AED Check Team", "pingliang", "赵丽娟"),
    ("dinghai-aed", "定海路街道AED巡检队", "Dinghai AED Check Team", "dinghailu", "孙建国"),
    ("tongxiao", "同晓红十字志愿服务队", "Tongxiao Red Cross Volunteers", "yp-redcross", "周敏"),
    ("aikang", "爱康红十字志愿服务队", "Aikang Red Cross Volunteers", "yp-redcross", "吴芳"),
    ("gehaiying", "葛海英博爱驿站", "Ge Haiying Humanity Station", "yp-redcross", "何丽萍"),
    ("yushikang", "御视康红十字志愿服务队", "Yushikang Red Cross Volunteers (eye care)",
     "yp-redcross", "林志明"),
    ("stemcell-yp", "红十字造血干细胞杨浦分队", "Red Cross Stem Cell Donor Volunteers, Yangpu",
     "yp-redcross", "徐海燕"),
]


@dataclass(frozen=True)
class DemoAed:
    """One demo AED; `scenario` names the readiness state it is set up to show."""

    code: str
    name: str
    name_en: str
    manufacturer: str
    model: str
    scenario: str = "ready"
    # Days from seeding day to pad/battery expiry.
    pad_days: int = 400
    battery_days: int = 900
    inspected_days_ago: int = 10
    gateway: str | None = None
    cabinet: str = "户外加热AED机柜"
    access_hours: str = "24/7"
    indoor: bool = False
    paediatric: bool = False


@dataclass(frozen=True)
class DemoSite:
    """One demo site, in the organisation and team named by their codes, with the AEDs
    it holds and, when ``first_aid_kit``, a kit of KIT_STOCK."""

    code: str
    name: str
    name_en: str
    kind: str
    lat: float
    lon: float
    address: str
    org: str
    team: str
    opening_hours: str = "24/7"
    aeds: list[DemoAed] = field(default_factory=list)
    first_aid_kit: bool = False


_ROAD = "杨树浦路"
_RENREN_HOURS = "Mo-Su 07:00-21:00"


def _renren_house(n: int, lat: float, lon: float, org: str, team: str,
                  aed: DemoAed) -> DemoSite:
    """A riverside 人人屋 (party-service station), open 07:00-21:00, with a first-aid kit
    and its AED on the indoor wall, reachable while the house is open."""
    return DemoSite(f"pss-renren-{n}", f"滨江人人屋({n}号)", f"Riverside Renren House No.{n}",
                    "party_service_station", lat, lon, f"{_ROAD}滨江步道{n}号人人屋", org, team,
                    opening_hours=_RENREN_HOURS, first_aid_kit=True, aeds=[replace(
                        aed, cabinet="室内墙挂式机柜", indoor=True, access_hours=_RENREN_HOURS)])


def _service_centre(code: str, names: tuple[str, str], lat: float, lon: float, address: str,
                    org: str, team: str, hours: str, aed: DemoAed) -> DemoSite:
    """A subdistrict's party-service centre (Chinese and English name): its AED stands in
    the ground-floor lobby, reachable in the centre's hours."""
    return DemoSite(code, *names, "party_service_station", lat, lon, address, org, team,
                    opening_hours=hours,
                    aeds=[replace(aed, indoor=True, cabinet="一楼大厅", access_hours=hours)])


SITES: list[DemoSite] = [
    DemoSite("rs-qinhuangdao", "秦皇岛路码头滨江点", "Qinhuangdao Rd Wharf riverside point",
             "riverside_point", 31.25248, 121.50962, f"{_ROAD}滨江步道(秦皇岛路码头)",
             "dinghailu", "shanxin", aeds=[
                 DemoAed("aed-yp-001", "秦皇岛路码头AED", "Qinhuangdao Wharf AED",
                         "Philips", "HeartStart HS1", gateway="gw-yp-001"),
             ]),
    DemoSite("rs-yongan", "永安栈房滨江点", "Yong'an Warehouse riverside point",
             "riverside_point", 31.25340, 121.51320, f"{_ROAD}滨江步道(永安栈房)",
             "dinghailu", "shanxin", aeds=[
                 DemoAed("aed-yp-002", "永安栈房AED", "Yong'an Warehouse AED",
                         "ZOLL", "AED Plus", scenario="attention_pads", pad_days=20,
                         gateway="gw-yp-002"),
             ]),
    _renren_house(1, 31.25510, 121.51760, "pingliang", "shanxin", DemoAed(
        "aed-yp-003", "1号人人屋AED", "Renren House 1 AED", "Mindray", "BeneHeart C2",
        gateway="gw-yp-003")),
    _renren_house(2, 31.25650, 121.52150, "pingliang", "shanxin", DemoAed(
        "aed-yp-004", "2号人人屋AED", "Renren House 2 AED", "Philips", "HeartStart FRx",
        scenario="in_use_sensor", gateway="gw-yp-004", paediatric=True)),
    DemoSite("rs-greenhill", "绿之丘滨江点", "Green Hill riverside point",
             "riverside_point", 31.25720, 121.52540, f"{_ROAD}绿之丘", "pingliang", "shanxin",
             aeds=[
                 DemoAed("aed-yp-005", "绿之丘AED", "Green Hill AED", "Cardiac Science",
                         "Powerheart G5", scenario="not_ready_selftest", gateway="gw-yp-005"),
             ]),
    DemoSite("rs-bridge-w", "杨浦大桥西侧滨江点", "Yangpu Bridge west riverside point",
             "riverside_point", 31.25580, 121.52900, f"{_ROAD}杨浦大桥下(西)", "pingliang",
             "shanxin", aeds=[
                 DemoAed("aed-yp-006", "杨浦大桥西AED", "Yangpu Bridge West AED", "ZOLL",
                         "AED Plus", scenario="unknown_silent", gateway="gw-yp-006"),
             ]),
    DemoSite("rs-bridge-e", "杨浦大桥东侧滨江点", "Yangpu Bridge east riverside point",
             "riverside_point", 31.25640, 121.53240, f"{_ROAD}杨浦大桥下(东)", "daqiao",
             "daqiao-aed", aeds=[
                 DemoAed("aed-yp-007", "杨浦大桥东AED", "Yangpu Bridge East AED", "Philips",
                         "HeartStart HS1", scenario="not_ready_pads_expired", pad_days=-12),
             ]),
    _renren_house(3, 31.25820, 121.53610, "daqiao", "daqiao-aed", DemoAed(
        "aed-yp-008", "3号人人屋AED", "Renren House 3 AED", "Mindray", "BeneHeart D1",
        gateway="gw-yp-008")),
    DemoSite("rs-shipyard", "上海船厂滨江点", "Shanghai Shipyard riverside point",
             "scenic_area", 31.25960, 121.53980, f"{_ROAD}船厂滨江绿地", "daqiao",
             "daqiao-aed", aeds=[
                 DemoAed("aed-yp-009", "船厂滨江AED", "Shipyard Riverside AED", "Stryker",
                         "LIFEPAK CR2", scenario="attention_battery_low",
                         gateway="gw-yp-009"),
                 DemoAed("aed-yp-010", "船厂游客中心AED", "Shipyard Visitor Centre AED",
                         "ZOLL", "AED Plus", indoor=True, cabinet="游客中心前台",
                         access_hours="Mo-Su 09:00-17:00"),
             ]),
    DemoSite("rs-waterworks", "杨树浦水厂滨江点", "Yangshupu Waterworks riverside point",
             "scenic_area", 31.26180, 121.54320, f"{_ROAD}830号(水厂外)", "daqiao",
             "daqiao-aed", aeds=[
                 DemoAed("aed-yp-011", "水厂栈桥AED", "Waterworks Boardwalk AED", "Philips",
                         "HeartStart FRx", scenario="not_ready_inspection_overdue",
                         inspected_days_ago=45),
             ]),
    _renren_house(4, 31.26400, 121.54610, "daqiao", "daqiao-aed", DemoAed(
        "aed-yp-012", "4号人人屋AED", "Renren House 4 AED", "HeartSine", "samaritan 360P",
        gateway="gw-yp-012", pad_days=700, battery_days=700)),
    DemoSite("rs-dockyard", "渔人码头滨江点", "Fisherman's Wharf riverside point",
             "riverside_point", 31.26590, 121.54850, f"{_ROAD}渔人码头", "daqiao", "daqiao-aed",
             aeds=[
                 DemoAed("aed-yp-013", "渔人码头AED", "Fisherman's Wharf AED", "Cardiac Science",
                         "Powerheart G5", scenario="in_use_incident"),
             ]),
    DemoSite("fac-fashion", "时尚中心党群驿站红十字救护站", "Fashion Center Red Cross first-aid station",
             "first_aid_station", 31.27050, 121.55150, "杨树浦路2866号(上海国际时尚中心)",
             "dinghailu", "aizhiyuan", opening_hours="Mo-Su 09:00-21:00", first_aid_kit=True,
             aeds=[
                 DemoAed("aed-yp-014", "时尚中心救护站AED", "Fashion Center station AED",
                         "Mindray", "BeneHeart C2", indoor=True, cabinet="救护站内",
                         access_hours="Mo-Su 09:00-21:00", gateway="gw-yp-014", paediatric=True),
                 DemoAed("aed-yp-015", "时尚中心广场AED", "Fashion Center plaza AED", "ZOLL",
                         "AED Plus", gateway="gw-yp-015",
                         scenario="not_ready_temperature"),
             ]),
    DemoSite("rs-anpu", "安浦路滨江点", "Anpu Rd riverside point", "riverside_point",
             31.27420, 121.55560, f"{_ROAD}安浦路口滨江", "dinghailu", "dinghai-aed", aeds=[
                 DemoAed("aed-yp-016", "安浦路滨江AED", "Anpu Rd Riverside AED", "Philips",
                         "HeartStart HS1", scenario="attention_battery_expiring",
                         battery_days=25),
             ]),
    DemoSite("rs-fuxing", "复兴岛公园", "Fuxing Island Park", "scenic_area", 31.28180, 121.56120,
             "共青路复兴岛公园", "dinghailu", "dinghai-aed", opening_hours="Mo-Su 06:00-18:00",
             aeds=[
                 DemoAed("aed-yp-017", "复兴岛公园AED", "Fuxing Island Park AED", "Mindray",
                         "BeneHeart C2", access_hours="Mo-Su 06:00-18:00",
                         scenario="attention_inspection_due", inspected_days_ago=26),
             ]),
    _service_centre("pss-pingliang", ("平凉路街道党群服务中心", "Pingliang Rd community service centre"),
                    31.26020, 121.52480, "平凉路1398号(示意)", "pingliang", "pingliang-aed",
                    "Mo-Fr 08:30-17:00; Sa 09:00-12:00", DemoAed(
                        "aed-yp-018", "平凉路党群服务中心AED", "Pingliang centre AED", "ZOLL",
                        "AED Plus")),
    _service_centre("pss-daqiao", ("大桥街道党群服务中心", "Daqiao community service centre"),
                    31.26300, 121.53300, "长阳路(示意)", "daqiao", "daqiao-aed",
                    "Mo-Fr 08:30-17:00", DemoAed(
                        "aed-yp-019", "大桥党群服务中心AED", "Daqiao centre AED", "Philips",
                        "HeartStart FRx", scenario="attention_missing_data")),
    _service_centre("pss-dinghai", ("定海路街道党群服务中心", "Dinghai Rd community service centre"),
                    31.27300, 121.54800, "定海路(示意)", "dinghailu", "dinghai-aed",
                    "Mo-Fr 08:30-17:00", DemoAed(
                        "aed-yp-020", "定海路党群服务中心AED", "Dinghai centre AED", "Mindray",
                        "BeneHeart D1")),
    DemoSite("hos-kongjiang", "控江医院门诊楼", "Kongjiang Hospital outpatient hall", "hospital",
             31.27150, 121.52450, "控江路(示意)", "kongjiang", "aikang",
             aeds=[
                 DemoAed("aed-yp-021", "控江医院门诊AED", "Kongjiang Hospital AED", "Philips",
                         "HeartStart FRx", indoor=True, cabinet="门诊大厅"),
             ]),
    DemoSite("sch-tongji-primary", "同济小学", "Tongji Primary School", "school",
             31.27900, 121.50900, "四平路(示意)", "siping", "tongxiao",
             opening_hours="Mo-Fr 07:30-17:00",
             aeds=[
                 DemoAed("aed-yp-022", "同济小学体育馆AED", "Tongji Primary gym AED", "ZOLL",
                         "AED Plus", indoor=True, cabinet="体育馆入口",
                         access_hours="Mo-Fr 07:30-17:00", paediatric=True),
             ]),
]

#: A stock lot: quantity, days from the seeding day to its expiry (None: it keeps).
Lot = tuple[int, int | None]
#: A station's stock: item code -> (minimum, target, lots).
Stock = dict[str, tuple[int, int, list[Lot]]]


def _stock(table: dict[str, Any]) -> Stock:
    return {code: (row["minimum"], row["target"],
                   [(lot[0], lot[1] if len(lot) > 1 else None) for lot in row["lots"]])
            for code, row in table.items()}


# (code, Chinese, English, unit, shelf life days)
SUPPLY_ITEMS: list[tuple[str, str, str, str, int | None]] = [
    (code, item["name"], item["name_en"], item["unit"], item.get("shelf_life_days"))
    for code, item in _TABLES["items"].items()]
FASHION_STOCK = _stock(_TABLES["stock"]["fac-fashion"])
#: The kit of every renren house.
KIT_STOCK = _stock(_TABLES["stock"]["kit"])

# (username, display name, role, team code). Passwords are made per install by the
# demo seed and printed once by `make run` / `seed-demo`.
DEMO_USERS: list[tuple[str, str, str, str | None]] = [
    ("admin", "系统管理员", "admin", None),
    ("coordinator", "陈协调", "coordinator", "aizhiyuan"),
    ("volunteer", "李志愿", "volunteer", "shanxin"),
    ("viewer", "王查看", "viewer", None),
]
