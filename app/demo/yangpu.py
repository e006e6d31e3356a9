"""Demo data for the Yangpu riverside, Shanghai.

Every position here is an invented WGS-84 point near the north bank of the Huangpu in
Yangpu (31.245-31.285 N, 121.50-121.57 E); sites are flagged `is_fictional`. Names follow
the places the district Red Cross works in: the riverside "人人屋" party-service
stations, the first-aid post at the fashion-centre station, the 12 subdistrict branches
and the volunteer teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DISTRICT = ("yp-redcross", "杨浦区红十字会", "Yangpu District Red Cross")

# (code, Chinese, English)
SUBDISTRICTS: list[tuple[str, str, str]] = [
    ("dinghailu", "定海路街道红十字会", "Dinghai Road Subdistrict Red Cross"),
    ("pingliang", "平凉路街道红十字会", "Pingliang Road Subdistrict Red Cross"),
    ("jiangpu", "江浦路街道红十字会", "Jiangpu Road Subdistrict Red Cross"),
    ("siping", "四平路街道红十字会", "Siping Road Subdistrict Red Cross"),
    ("kongjiang", "控江路街道红十字会", "Kongjiang Road Subdistrict Red Cross"),
    ("changbai", "长白新村街道红十字会", "Changbai Xincun Subdistrict Red Cross"),
    ("yanji", "延吉新村街道红十字会", "Yanji Xincun Subdistrict Red Cross"),
    ("yinhang", "殷行街道红十字会", "Yinhang Subdistrict Red Cross"),
    ("daqiao", "大桥街道红十字会", "Daqiao Subdistrict Red Cross"),
    ("wujiaochang", "五角场街道红十字会", "Wujiaochang Subdistrict Red Cross"),
    ("xinjiangwan", "新江湾城街道红十字会", "Xinjiangwancheng Subdistrict Red Cross"),
    ("changhai", "长海路街道红十字会", "Changhai Road Subdistrict Red Cross"),
]

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
    DemoSite("pss-renren-1", "滨江人人屋(1号)", "Riverside Renren House No.1",
             "party_service_station", 31.25510, 121.51760, f"{_ROAD}滨江步道1号人人屋",
             "pingliang", "shanxin", opening_hours="Mo-Su 07:00-21:00", first_aid_kit=True,
             aeds=[
                 DemoAed("aed-yp-003", "1号人人屋AED", "Renren House 1 AED", "Mindray",
                         "BeneHeart C2", cabinet="室内墙挂式机柜", indoor=True,
                         access_hours="Mo-Su 07:00-21:00", gateway="gw-yp-003"),
             ]),
    DemoSite("pss-renren-2", "滨江人人屋(2号)", "Riverside Renren House No.2",
             "party_service_station", 31.25650, 121.52150, f"{_ROAD}滨江步道2号人人屋",
             "pingliang", "shanxin", opening_hours="Mo-Su 07:00-21:00", first_aid_kit=True,
             aeds=[
                 DemoAed("aed-yp-004", "2号人人屋AED", "Renren House 2 AED", "Philips",
                         "HeartStart FRx", scenario="in_use_sensor", gateway="gw-yp-004",
                         indoor=True, cabinet="室内墙挂式机柜",
                         access_hours="Mo-Su 07:00-21:00", paediatric=True),
             ]),
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
    DemoSite("pss-renren-3", "滨江人人屋(3号)", "Riverside Renren House No.3",
             "party_service_station", 31.25820, 121.53610, f"{_ROAD}滨江步道3号人人屋",
             "daqiao", "daqiao-aed", opening_hours="Mo-Su 07:00-21:00", first_aid_kit=True,
             aeds=[
                 DemoAed("aed-yp-008", "3号人人屋AED", "Renren House 3 AED", "Mindray",
                         "BeneHeart D1", indoor=True, cabinet="室内墙挂式机柜",
                         access_hours="Mo-Su 07:00-21:00", gateway="gw-yp-008"),
             ]),
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
    DemoSite("pss-renren-4", "滨江人人屋(4号)", "Riverside Renren House No.4",
             "party_service_station", 31.26400, 121.54610, f"{_ROAD}滨江步道4号人人屋",
             "daqiao", "daqiao-aed", opening_hours="Mo-Su 07:00-21:00", first_aid_kit=True,
             aeds=[
                 DemoAed("aed-yp-012", "4号人人屋AED", "Renren House 4 AED", "HeartSine",
                         "samaritan 360P", indoor=True, cabinet="室内墙挂式机柜",
                         access_hours="Mo-Su 07:00-21:00", gateway="gw-yp-012",
                         pad_days=700, battery_days=700),
             ]),
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
    DemoSite("pss-pingliang", "平凉路街道党群服务中心", "Pingliang Rd community service centre",
             "party_service_station", 31.26020, 121.52480, "平凉路1398号(示意)", "pingliang",
             "pingliang-aed", opening_hours="Mo-Fr 08:30-17:00; Sa 09:00-12:00",
             aeds=[
                 DemoAed("aed-yp-018", "平凉路党群服务中心AED", "Pingliang centre AED", "ZOLL",
                         "AED Plus", indoor=True, cabinet="一楼大厅",
                         access_hours="Mo-Fr 08:30-17:00; Sa 09:00-12:00"),
             ]),
    DemoSite("pss-daqiao", "大桥街道党群服务中心", "Daqiao community service centre",
             "party_service_station", 31.26300, 121.53300, "长阳路(示意)", "daqiao",
             "daqiao-aed", opening_hours="Mo-Fr 08:30-17:00",
             aeds=[
                 DemoAed("aed-yp-019", "大桥党群服务中心AED", "Daqiao centre AED", "Philips",
                         "HeartStart FRx", indoor=True, cabinet="一楼大厅",
                         access_hours="Mo-Fr 08:30-17:00", scenario="attention_missing_data"),
             ]),
    DemoSite("pss-dinghai", "定海路街道党群服务中心", "Dinghai Rd community service centre",
             "party_service_station", 31.27300, 121.54800, "定海路(示意)", "dinghailu",
             "dinghai-aed", opening_hours="Mo-Fr 08:30-17:00",
             aeds=[
                 DemoAed("aed-yp-020", "定海路党群服务中心AED", "Dinghai centre AED", "Mindray",
                         "BeneHeart D1", indoor=True, cabinet="一楼大厅",
                         access_hours="Mo-Fr 08:30-17:00"),
             ]),
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

# (code, Chinese, English, unit, shelf life days)
SUPPLY_ITEMS: list[tuple[str, str, str, str, int | None]] = [
    ("plaster", "创可贴", "Plasters", "片", 1095),
    ("eye-pad", "眼垫", "Sterile eye pads", "片", 1095),
    ("triangular", "三角巾", "Triangular bandages", "条", 1825),
    ("safety-pin", "安全别针", "Safety pins", "枚", None),
    ("dressing-l", "大号无菌敷料", "Large sterile dressings", "块", 1095),
    ("dressing-m", "中号无菌敷料", "Medium sterile dressings", "块", 1095),
    ("gloves", "一次性医用手套", "Disposable gloves", "副", 1825),
    ("saline", "生理盐水(冲洗用)", "Sterile saline (eye wash)", "瓶", 730),
    ("iodine-swab", "碘伏棉棒", "Iodine swabs", "支", 730),
    ("tourniquet", "止血带", "Tourniquet", "条", None),
    ("cpr-shield", "CPR呼吸面罩", "CPR face shield", "个", 1825),
    ("blanket", "急救毯", "Emergency blanket", "条", 1825),
    ("aed-pads", "AED备用电极片", "Spare AED pads", "副", 730),
]

# Fashion-centre station stock: item -> (minimum, target, [(quantity, expiry days or None)])
FASHION_STOCK: dict[str, tuple[int, int, list[tuple[int, int | None]]]] = {
    "plaster": (20, 40, [(30, 400)]),
    "eye-pad": (2, 4, [(1, 300)]),  # below minimum: restock
    "triangular": (4, 8, [(6, 900)]),
    "safety-pin": (6, 12, [(12, None)]),
    "dressing-l": (2, 4, [(2, 500)]),
    "dressing-m": (6, 10, [(4, 600), (4, 20)]),  # a lot expiring soon counts as missing
    "gloves": (10, 20, [(20, 800)]),
    "saline": (2, 4, [(3, 200)]),
    "iodine-swab": (20, 40, [(10, -5), (20, 300)]),  # an expired lot
    "tourniquet": (2, 2, [(2, None)]),
    "cpr-shield": (2, 4, [(3, 900)]),
    "blanket": (2, 4, [(4, 1200)]),
    "aed-pads": (1, 2, [(1, 60)]),
}

# Renren house kits: (minimum, target, quantity, expiry days)
KIT_STOCK: dict[str, tuple[int, int, int, int | None]] = {
    "plaster": (10, 20, 16, 500),
    "gloves": (4, 10, 6, 900),
    "iodine-swab": (10, 20, 12, 300),
    "triangular": (2, 4, 3, 900),
    "cpr-shield": (1, 2, 2, 900),
}

# (username, display name, role, team code). Passwords are made per install by the
# demo seed and printed once by `make run` / `seed-demo`.
DEMO_USERS: list[tuple[str, str, str, str | None]] = [
    ("admin", "系统管理员", "admin", None),
    ("coordinator", "陈协调", "coordinator", "aizhiyuan"),
    ("volunteer", "李志愿", "volunteer", "shanxin"),
    ("viewer", "王查看", "viewer", None),
]
