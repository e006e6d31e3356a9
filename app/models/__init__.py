"""All models, one per module; importing this package registers them on Base.metadata."""

from .alert import Alert, AlertComment
from .asset import ASSET_KINDS, READINESS_STATUSES, Asset
from .audit import AuditLog
from .base import Base, utcnow
from .dead_letter import DeadLetter
from .device import Device
from .device_state import DeviceState
from .event import DeviceEvent
from .gateway import Gateway
from .heartbeat import Heartbeat
from .inspection import Inspection
from .lease import JobWatermark, Lease
from .organisation import Organisation
from .quarantine import QuarantinedMessage
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
    "Inspection",
    "JobWatermark",
    "Lease",
    "Organisation",
    "ParLevel",
    "QuarantinedMessage",
    "Site",
    "StockLot",
    "SupplyItem",
    "Team",
    "Telemetry",
    "User",
    "utcnow",
]
