"""Scale data of delivery (ltc_portal/core/scale.py): one project per scale opportunity that passed ATI
(every fourth one), in ``PROJECT_STATES[j % 20]`` — mostly build, implement or handover — with its
team; a started project (past DR1) is linked to its contract and has the four weighted baseline
milestones of ``project_plan`` (the accepted ones with their acceptance certificate; the final one
names the contract's on-acceptance payment), and a live one a risk in its register. Bulk inserts, no
transition-log rows or gate reviews (DR1, DR3, DR4 are taken as passed)."""

import datetime
from decimal import Decimal

from contracts.models import Contract, ContractState, PaymentMilestone, Trigger
from ltc_portal.core.money import quantize
from ltc_portal.core.scale import PREFIX, Scale, between, index_of, name, project_plan, seeder, unit
from opportunities.models import Opportunity, OpportunityState

from .models import (
    AcceptanceCertificate,
    Milestone,
    MilestoneState,
    Project,
    ProjectRole,
    ProjectState,
    Risk,
    RiskResponse,
    RiskState,
    TeamMember,
)

WITH_PROJECT = [
    OpportunityState.ANALYSIS,
    OpportunityState.BIDDING,
    OpportunityState.CONTRACTING,
    OpportunityState.WON,
    OpportunityState.LOST,
]
DELIVERABLES = ["Design documents", "Installation report", "Test report", "Acceptance certificate"]
RISKS = [
    ("Integration", "Legacy systems expose no API", RiskResponse.MITIGATE, "Build adapters during the pilot"),
    ("Schedule", "Customer site access limited to weekends", RiskResponse.ACCEPT, ""),
    ("Supply", "Server delivery lead time above 8 weeks", RiskResponse.MITIGATE, "Order early; spare stock"),
    ("Subcontract", "Subcontractor key engineer may leave", RiskResponse.TRANSFER, "Back-up clause in the PO"),
]


@seeder(order=40)
def seed_projects(scale: Scale) -> dict:
    today = scale.today
    opportunities = list(
        Opportunity.objects.filter(name__startswith=PREFIX, state__in=WITH_PROJECT, project__isnull=True)
        .order_by("pk")
        .values("pk", "name", "currency", "owner_id", "solution_owner_id", "expected_value")
    )
    contracts = dict(
        Contract.objects.filter(opportunity_id__in=[o["pk"] for o in opportunities])
        .exclude(state=ContractState.TERMINATED)
        .values_list("opportunity_id", "pk")
    )
    projects, plans = [], {}
    for opp in opportunities:
        i = index_of(opp["name"])
        j = i // 4
        plan = project_plan(j, today)
        started = plan.started
        project = Project(
            opportunity_id=opp["pk"],
            contract_id=contracts.get(opp["pk"]) if started else None,
            name=name(j, opp["name"].split(" ", 1)[-1], width=5),
            pm_id=scale.person("delivery", j, "pm"),
            currency=opp["currency"],
            technical_solution="Two-site active/standby platform; integration through the customer's ESB",
            delivery_approach="Pilot site first, then roll-out in waves" if plan.state != "analyze" else "",
            key_risks="Legacy interfaces; site access windows",
            final_scope="As per the accepted quote and the statement of work" if started else "",
            delivery_plan="Design, installation, integration test, final acceptance" if started else "",
            pm_change_limit=quantize(opp["expected_value"] * Decimal("0.02")) if started else Decimal(0),
            lessons_learned="Freeze interfaces before installation" if plan.state == "closed" else "",
            final_acceptance_date=plan.finish if plan.state == "closed" else None,
            final_acceptance_by="客户项目办 / Customer project office" if plan.state == "closed" else "",
            final_acceptance_ref=f"ZY-{j:05d}" if plan.state == "closed" else "",
            cancel_reason="Opportunity lost: price 8% above the winning bid" if plan.state == "cancelled" else "",
            state=plan.state,
        )
        projects.append(project)
        plans[j] = (project, plan, opp)
    Project.objects.bulk_create(projects, batch_size=scale.batch_size)
    team = _team(scale, plans.values())
    milestones, certificates = _milestones(scale, plans.values())
    risks = _risks(plans.values())
    _link_payments(plans.values(), milestones)
    return {
        "projects": len(projects),
        "team members": team,
        "milestones": sum(len(rows) for rows in milestones.values()),
        "acceptance certificates": certificates,
        "risks": risks,
    }


def _team(scale: Scale, plans) -> int:
    members = []
    for project, plan, opp in plans:
        j = plan.index
        start = plan.opened
        end = plan.closed or (plan.opened + datetime.timedelta(days=30) if plan.state == "cancelled" else None)
        people = [(project.pm_id, ProjectRole.PM, 100), (opp["owner_id"], ProjectRole.AR, 20)]
        if opp["solution_owner_id"]:
            people.append((opp["solution_owner_id"], ProjectRole.SR, 30))
        if plan.started:
            people += [
                (scale.person(None, j, "engineer1"), ProjectRole.ENGINEER, 100),
                (scale.person("delivery", j, "engineer2"), ProjectRole.ENGINEER, 50),
                (scale.person("finance", j, "pf"), ProjectRole.PROJECT_FINANCE, 10),
            ]
        seen = set()
        for user_id, role, share in people:
            if (user_id, role) in seen:
                continue
            seen.add((user_id, role))
            members.append(
                TeamMember(
                    project=project,
                    user_id=user_id,
                    role=role,
                    allocation_percent=share,
                    start_date=start if role in (ProjectRole.PM, ProjectRole.AR, ProjectRole.SR) else plan.start,
                    end_date=end,
                )
            )
    TeamMember.objects.bulk_create(members, batch_size=scale.batch_size)
    return len(members)


def _milestones(scale: Scale, plans) -> tuple[dict[int, list[Milestone]], int]:
    by_project: dict[int, list[Milestone]] = {}
    rows = []
    for project, plan, _opp in plans:
        for mp in plan.milestones:
            milestone = Milestone(
                project=project,
                name=mp.name,
                deliverables=DELIVERABLES[mp.position],
                planned_start=mp.start,
                planned_end=mp.end,
                actual_end=mp.accepted_on,
                weight=Decimal(mp.weight),
                state=MilestoneState.ACCEPTED if mp.accepted_on else MilestoneState.PLANNED,
            )
            rows.append(milestone)
            by_project.setdefault(project.pk, []).append(milestone)
    Milestone.objects.bulk_create(rows, batch_size=scale.batch_size)
    certificates = []
    for project, plan, _opp in plans:
        for mp, milestone in zip(plan.milestones, by_project.get(project.pk, []), strict=True):
            if mp.accepted_on:
                certificates.append(
                    AcceptanceCertificate(
                        milestone=milestone,
                        signed_by="客户项目办 / Customer project office",
                        date=mp.accepted_on,
                        document_ref=f"YS-{plan.index:05d}-{mp.position + 1}",
                        satisfaction=between(3, 5, plan.index, mp.position, "satisfaction"),
                        recorded_by_id=project.pm_id,
                    )
                )
    AcceptanceCertificate.objects.bulk_create(certificates, batch_size=scale.batch_size)
    return by_project, len(certificates)


def _risks(plans) -> int:
    risks = []
    for project, plan, _opp in plans:
        if plan.state not in (ProjectState.BUILD, ProjectState.IMPLEMENT, ProjectState.HANDOVER):
            continue
        category, text, response, how = RISKS[plan.index % len(RISKS)]
        probability, impact = between(1, 5, plan.index, "p"), between(1, 5, plan.index, "i")
        risks.append(
            Risk(
                project=project,
                category=category,
                description=text,
                probability=probability,
                impact=impact,
                exposure=probability * impact,
                owner_id=project.pm_id,
                response=response,
                plan=how,
                trigger="Two weeks before the milestone" if how else "",
                state=RiskState.MITIGATING if how and unit(plan.index, "risk") < 0.5 else RiskState.OPEN,
            )
        )
    Risk.objects.bulk_create(risks)
    return len(risks)


def _link_payments(plans, milestones: dict[int, list[Milestone]]) -> None:
    """The final acceptance milestone of each started project names its contract's on-acceptance
    payment (whose acceptance makes it due)."""
    final = {project.contract_id: milestones[project.pk][-1].pk for project, _p, _o in plans if project.contract_id}
    payments = list(
        PaymentMilestone.objects.filter(contract_id__in=final, trigger=Trigger.ON_ACCEPTANCE, milestone__isnull=True)
    )
    for payment in payments:
        payment.milestone = final[payment.contract_id]
    PaymentMilestone.objects.bulk_update(payments, ["milestone"], batch_size=5000)
