"""Every write on delivery projects, one module per concern: the project and its steps
(``project``), the team and delegated authority (``team``), milestones and acceptance
(``milestones``), change requests (``changes``) and the registers (``registers``). Each service
checks the project's state and the user's right itself (``delivery.rules`` guards), so a page, the
API, the admin and a handler refuse the same things in the same words."""

from .changes import change_request_create, change_request_transition, change_request_update  # noqa: F401
from .milestones import (  # noqa: F401
    milestone_accept,
    milestone_create,
    milestone_transition,
    milestone_update,
    milestone_waive,
)
from .project import (  # noqa: F401
    project_cancel_for,
    project_link_contract,
    project_open_for,
    project_plan_for,
    project_transition,
    project_update,
)
from .registers import (  # noqa: F401
    defect_close,
    issue_create,
    issue_transition,
    issue_update,
    meeting_action_done,
    meeting_create,
    quality_check_create,
    risk_create,
    risk_transition,
    risk_update,
    risks_raise_by_portal,
)
from .team import delegation_grant, delegation_narrow, delegation_revoke, team_member_add, team_member_update  # noqa: F401
