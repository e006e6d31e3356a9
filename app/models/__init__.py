"""All models, one per module; importing this package registers them on Base.metadata."""

from .alert import Alert, AlertComment
from .asset import ASSET_KINDS, READINESS_STATUSES, Asset
from .audit import AuditLog
from .base import Base, utcnow
from .config_push import PendingConfigPush
from .dead_letter import DeadLetter
from .device import Device
from .device_state import DeviceState
from .event import DeviceEvent
from .gateway import Gateway
from .heartbeat import Heartbeat
from .ingest_worker import IngestWorker
from .inspection import Inspection
from .job_run import JobRun
from .lease import JobWatermark, Lease
from .login_throttle import LoginThrottle
from .notification import NotificationChannel, NotificationLog, NotificationRoute
from .organisation import Organisation
from .quarantine import QuarantinedMessage
from .restock_task import RestockTask, RestockTaskLine
from .site import SITE_KINDS, Site
from .supply import ParLevel, StockLot, SupplyItem
from .team import Team
from .telemetry import Telemetry
from .user import ROLES, User

__all__ = [
    "ASSET_KINDS",
    "READINESS_STATUSES",
    "ROLES",
    "SITE_KINDS",
    "Alert",
    "AlertComment",
    "Asset",
    "AuditLog",
    "Base",
    "DeadLetter",
    "Device",
    "DeviceEvent",
    "DeviceState",
    "Gateway",
    "Heartbeat",
    "IngestWorker",
    "Inspection",
    "JobRun",
    "JobWatermark",
    "Lease",
    "LoginThrottle",
    "NotificationChannel",
    "NotificationLog",
    "NotificationRoute",
    "Organisation",
    "ParLevel",
    "PendingConfigPush",
    "QuarantinedMessage",
    "RestockTask",
    "RestockTaskLine",
    "Site",
    "StockLot",
    "SupplyItem",
    "Team",
    "Telemetry",
    "User",
    "utcnow",
]
