"""Notification texts: zh-CN first, English after, in one message."""

from __future__ import annotations

KIND_TEXT: dict[str, tuple[str, str]] = {
    "pad_expiring": ("电极片即将到期", "pads expiring"),
    "battery_expiring": ("电池即将到期", "battery expiring"),
    "pad_expired": ("电极片已过期", "pads expired"),
    "battery_expired": ("电池已过期", "battery expired"),
    "self_test_failed": ("自检失败", "self-test failed"),
    "cabinet_opened": ("机柜被打开", "cabinet opened"),
    "aed_in_use": ("AED 被取出使用", "AED in use"),
    "door_open_too_long": ("机柜门长时间未关", "door open too long"),
    "temperature_out_of_range": ("温度超出范围", "temperature out of range"),
    "battery_low": ("电量低", "battery low"),
    "gateway_offline": ("网关离线", "gateway offline"),
    "device_silent": ("设备无上报", "device silent"),
    "unregistered_device": ("未登记设备", "unregistered device"),
    "client_id_takeover": ("网关身份冲突", "client id takeover"),
    "stock_low": ("物资不足", "stock low"),
    "stock_expiring": ("物资即将过期", "stock expiring"),
    "inspection_due": ("检查即将到期", "inspection due"),
    "inspection_overdue": ("检查已逾期", "inspection overdue"),
}
SEVERITY_TEXT: dict[str, str] = {
    "urgent": "紧急 urgent", "critical": "严重 critical", "warning": "警告 warning",
    "info": "提示 info",
}
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2, "urgent": 3}
# Someone may be using the AED right now: these never wait for quiet hours.
URGENT_KINDS = frozenset({"aed_in_use", "cabinet_opened"})


def kind_text(kind: str) -> str:
    zh, en = KIND_TEXT.get(kind, (kind, kind))
    return f"{zh} · {en}"


def alert_subject(kind: str, severity: str, where: str, round_no: int, level: int,
                  stage: int | None = None) -> str:
    prefix = f"【{SEVERITY_TEXT.get(severity, severity)}】"
    extra = ""
    if stage:
        extra = f"(≤{stage} 天 · ≤{stage} days)"
    if level > 0:
        extra = f"(升级 {level} 级 · escalated L{level})"
    elif round_no > 1 and not stage:
        extra = f"(第 {round_no} 次提醒 · reminder {round_no})"
    return f"{prefix}{kind_text(kind)} - {where}{extra}"


def alert_body(message: str, where: str, opened_local: str, status: str, link: str) -> str:
    lines = [
        message,
        f"地点 · Where: {where}",
        f"发生时间 · Opened: {opened_local}",
        f"状态 · Status: {status}",
    ]
    if link:
        lines.append(f"详情 · Details: {link}")
    lines.append("请确认处理 · Please acknowledge in the AED tracker.")
    return "\n".join(lines)
