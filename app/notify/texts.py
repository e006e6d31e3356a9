"""Notification texts: one message in one language, the channel's (app/notify/routing.py).

The alert's own words (title, text, severity, state) come from app/alerts/texts.py; this
module only frames them as an email or robot message (a round of an alert, or how it
ended) and a daily digest.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.alerts import texts
from app.i18n.words import Words, is_english

WHERE = Words("地点", "Where")
OPENED = Words("发生时间", "Opened")
STATE = Words("状态", "Status")
DETAILS = Words("详情", "Details")
PLEASE_ACK = Words("请在 AED 管理系统中确认处理。", "Please acknowledge in the AED tracker.")
RESOLVED = Words("已恢复", "Resolved")
RESOLVED_AT = Words("恢复时间", "Resolved at")
DIGEST = Words("每日汇总", "Daily digest")
NO_OPEN = Words("没有未处理的告警", "No open alerts")
OPEN_TASKS = Words("待补货任务", "Open restock tasks")


def place(site: str, gateway_id: str | None) -> str:
    """What a message names as the place: the alert's site, else its gateway."""
    return site or gateway_id or ""


def _label(words: Words, locale: str | None) -> str:
    """"地点:" / "Where: " — a caption as each language writes it."""
    return f"{words.en}: " if is_english(locale) else f"{words.zh}:"


def alert_subject(kind: str, severity: str, where: str, round_no: int, level: int,
                  stage: int | None, locale: str | None, assigned_to: str = "") -> str:
    """``assigned_to``: the team that has just taken the alert over, when this round
    tells it so."""
    en = is_english(locale)
    sev = texts.severity_word(severity, locale)
    extra = ""
    if stage:
        extra = f" (≤{stage} days)" if en else f"(≤{stage} 天)"
    if level > 0:
        extra = f" (escalated L{level})" if en else f"(升级 {level} 级)"
    elif assigned_to:
        extra = f" (assigned to {assigned_to})" if en else f"(已指派给{assigned_to})"
    elif round_no > 1 and not stage:
        extra = f" (reminder {round_no})" if en else f"(第 {round_no} 次提醒)"
    prefix = f"[{sev}] " if en else f"【{sev}】"
    place = f" - {where}" if where else ""
    return f"{prefix}{texts.title(kind, locale)}{place}{extra}"


def alert_body(text: str, where: str, opened: str, state: str, link: str,
               locale: str | None) -> str:
    lines = [text]
    if where:
        lines.append(f"{_label(WHERE, locale)}{where}")
    lines += [f"{_label(OPENED, locale)}{opened}",
              f"{_label(STATE, locale)}{texts.state_word(state, locale)}"]
    if link:
        lines.append(f"{_label(DETAILS, locale)}{link}")
    lines.append(PLEASE_ACK.in_(locale))
    return "\n".join(lines)


def resolution_subject(kind: str, where: str, locale: str | None) -> str:
    """"已恢复:AED 被取出使用 - 秦皇岛路码头" / "Resolved: ... - Qinhuangdao Rd Pier"."""
    place = f" - {where}" if where else ""
    return f"{_label(RESOLVED, locale)}{texts.title(kind, locale)}{place}"


def resolution_body(text: str, where: str, resolved: str, locale: str | None) -> str:
    """``text``: the subject's name and how the alert ended, in words."""
    lines = [text]
    if where:
        lines.append(f"{_label(WHERE, locale)}{where}")
    lines.append(f"{_label(RESOLVED_AT, locale)}{resolved}")
    return "\n".join(lines)


def digest_subject(team: str, day: str, locale: str | None) -> str:
    if is_english(locale):
        return f"[{DIGEST.en}] {team} {day}"
    return f"【{DIGEST.zh}】{team} {day}"


def digest_body(team: str, open_by_kind: Iterable[tuple[str, int]], tasks: int,
                locale: str | None) -> str:
    lines = [f"{team} · {DIGEST.in_(locale)}"]
    by_kind = list(open_by_kind)
    if not by_kind and not tasks:
        lines.append(NO_OPEN.in_(locale))
    lines += [f"- {texts.title(kind, locale)}: {n}" for kind, n in by_kind]
    if tasks:
        lines.append(f"- {OPEN_TASKS.in_(locale)}: {tasks}")
    return "\n".join(lines)
