"""Delivery models, one module per concern: the project and its phases, the team and delegated
authority, milestones with acceptance and quality, the registers (risks, issues, meetings) and
change requests."""

from .changes import ChangeRequest, ChangeState  # noqa: F401
from .choices import DR1, DR2, DR3, DR4, DRA, DRB, DTRB, DTRC, Severity  # noqa: F401
from .execution import AcceptanceCertificate, Defect, Milestone, MilestoneState, QualityCheck, QualityResult  # noqa: F401
from .project import FINISHED_STATES, PHASES, Project, ProjectState  # noqa: F401
from .registers import (  # noqa: F401
    OPEN_ISSUE_STATES,
    IssueSource,
    IssueState,
    Meeting,
    MeetingAction,
    MeetingKind,
    ProjectIssue,
    Risk,
    RiskResponse,
    RiskState,
)
from .team import Delegation, DelegationScope, ProjectRole, TeamMember  # noqa: F401
