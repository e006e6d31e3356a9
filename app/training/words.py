"""The training programme's words in both languages, for pages, the report and its CSV
(pairs in code, as app/i18n/words.py explains, so a file written outside a request
reads the same)."""

from __future__ import annotations

from app.i18n.words import Words

#: What an erased responder is shown as (their name is gone).
ERASED = Words("已删除的救护员", "Erased responder")

COURSE_TYPE_WORDS: dict[str, Words] = {
    "certificate": Words("持证培训", "Certificate course"),
    "awareness": Words("普及培训", "Awareness session"),
    "aed_use": Words("AED 使用培训", "AED-use training"),
}
#: The "五进" settings: into communities, companies, schools, hospitals, offices.
SETTING_WORDS: dict[str, Words] = {
    "community": Words("进社区", "Community"),
    "company": Words("进企业", "Company"),
    "school": Words("进学校", "School"),
    "hospital": Words("进医院", "Hospital"),
    "government": Words("进机关", "Government office"),
}
BASE_WORDS: dict[str, Words] = {
    "central_hospital": Words("区中心医院培训基地", "District Central Hospital training base"),
    "kongjiang_hospital": Words("控江医院培训基地", "Kongjiang Hospital training base"),
}
ROLE_WORDS: dict[str, Words] = {
    "guardian": Words("AED 守护人", "AED guardian"),
    "station_staff": Words("驿站工作人员", "Station staff"),
    "team_member": Words("队员", "Team member"),
}
