"""Display texts for statuses (zh-CN first, English beside it)."""

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "ready": ("就绪", "Ready"),
    "attention": ("需关注", "Attention"),
    "not_ready": ("不可用", "Not ready"),
    "in_use": ("使用中", "In use"),
    "unknown": ("状态未知", "Unknown"),
}
