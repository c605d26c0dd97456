"""Who may do what in performance (DOMAIN.md §7): HR keeps the KPI library, the templates and the
cycles and decides calibration and appeals; each person acknowledges their own appraisal. Who reads
which appraisal is performance.selectors.appraisal_visible."""

import rules

from ltc_portal.core.roles import Role, has_role, is_finance, is_hr, is_superuser


@rules.predicate
def is_the_employee(user, appraisal):
    return appraisal is not None and appraisal.employee_id == user.pk


def is_hr_user(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, Role.HR)))


rules.add_perm("performance.run_cycle", is_superuser | is_hr)
rules.add_perm("performance.add_kpi", is_superuser | is_hr)
rules.add_perm("performance.change_kpi", is_superuser | is_hr)
rules.add_perm("performance.delete_kpi", rules.always_deny)
rules.add_perm("performance.add_kpitemplate", is_superuser | is_hr)
rules.add_perm("performance.change_kpitemplate", is_superuser | is_hr)
rules.add_perm("performance.acknowledge_appraisal", is_the_employee)
rules.add_perm("performance.approve_pool", is_superuser | is_finance)
