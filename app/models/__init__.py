"""All models, one per module; importing this package registers them on Base.metadata."""

from .alert import Alert, AlertComment
from .asset import ASSET_KINDS, READINESS_STATUSES, Asset
from .asset_source_ref import AssetSourceRef
from .audit import AuditLog
from .base import Base, utcnow
from .config_push import PendingConfigPush
from .course import COURSE_TYPES, OUTREACH_SETTINGS, TRAINING_BASES, Course
from .course_attendance import CourseAttendance
from .coverage_aed import CoverageAed
from .coverage_week import CoverageWeek
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
from .responder import Responder
from .responder_site import SERVICE_ROLES, ResponderSite
from .restock_task import RestockTask, RestockTaskLine
from .site import SITE_KINDS, Site
from .supply import ParLevel, StockLot, SupplyItem
from .team import Team
from .telemetry import Telemetry
from .user import ROLES, User

__all__ = [
    "ASSET_KINDS",
    "COURSE_TYPES",
    "OUTREACH_SETTINGS",
    "READINESS_STATUSES",
    "ROLES",
    "SERVICE_ROLES",
    "SITE_KINDS",
    "TRAINING_BASES",
    "Alert",
    "AlertComment",
    "Asset",
    "AssetSourceRef",
    "AuditLog",
    "Base",
    "Course",
    "CourseAttendance",
    "CoverageAed",
    "CoverageWeek",
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
    "Responder",
    "ResponderSite",
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
