"""The delivery decision reviews DR1–DR4 (DOMAIN.md §4). DR2's deciding role is routed per change:
the PM's change authority within the PM's limit, finance above it (delivery/gates.py)."""

from django.db import migrations

GATES = [
    ("DR1", "Contract handover and budget approval", "合同交底+预算审批", "project", ["finance", "pmo"],
     ["project.contract_handed_over", "finance.budget_submitted"], "dr1", 80),
    ("DR2", "Change review", "变更评审", "change_request", ["finance"], ["change.impacts_stated"], "approve", 90),
    ("DR3", "Review before handover", "移交前评审", "project", ["pmo"],
     ["project.milestones_done", "project.no_open_critical_issue", "project.quality_passed"], "dr3", 100),
    ("DR4", "Closure review", "关闭评审", "project", ["finance", "pmo"],
     ["project.final_acceptance", "project.lessons_learned"], "dr4", 110),
]


def seed(apps, schema_editor):
    GateDefinition = apps.get_model("controls", "GateDefinition")
    for code, name, name_zh, subject, roles, checklist, transition, order in GATES:
        GateDefinition.objects.update_or_create(code=code, defaults={
            "name": name, "name_zh": name_zh, "subject_type": subject, "required_roles": roles,
            "checklist": checklist, "transition": transition, "order": order, "active": True})


def unseed(apps, schema_editor):
    apps.get_model("controls", "GateDefinition").objects.filter(code__in=[g[0] for g in GATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("controls", "0002_seed_sales_and_presales_gates")]

    operations = [migrations.RunPython(seed, unseed)]
