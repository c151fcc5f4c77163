"""SQLAlchemy 2 models, one per module; importing this registers every table."""

from intake.models.audit import AuditEvent
from intake.models.base import Base, hour_floor, new_id, utcnow
from intake.models.case import COUNTED_STATUSES, PRIORITIES, STATUSES, TRANSITIONS, Case
from intake.models.item import ITEM_KINDS, REPORTER_KINDS, Item, KeyWrap
from intake.models.label import VOCABULARIES, CaseLabel
from intake.models.notification import PendingNotification
from intake.models.recipient import KEY_KINDS, ExternalRecipient
from intake.models.recovery import RecoveryKey
from intake.models.security_key import SecurityKey
from intake.models.session import LoginFailure, StaffSession
from intake.models.site import SiteValue
from intake.models.staff import READER_ROLES, ROLES, Staff
from intake.models.stats import PrivacyLedgerEntry, StatsGeneration, StatsRelease
from intake.models.stats_count import StatsCount
from intake.models.team import CaseTeam, RoutingRule, Team, TeamMember

__all__ = [
    "AuditEvent", "Base", "COUNTED_STATUSES", "Case", "CaseLabel", "CaseTeam",
    "ExternalRecipient", "ITEM_KINDS", "KEY_KINDS",
    "Item", "KeyWrap", "LoginFailure", "PRIORITIES", "PendingNotification", "PrivacyLedgerEntry",
    "READER_ROLES", "REPORTER_KINDS", "ROLES", "RecoveryKey", "RoutingRule", "STATUSES",
    "SecurityKey", "SiteValue", "Staff", "StaffSession", "StatsCount", "StatsGeneration",
    "StatsRelease",
    "TRANSITIONS", "Team", "TeamMember", "VOCABULARIES", "hour_floor", "new_id", "utcnow",
]
