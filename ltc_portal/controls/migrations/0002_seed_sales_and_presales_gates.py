"""The control points of the sales side and of delivery's pre-sales reviews (DOMAIN.md §4). The
delivery decision reviews DR1–DR4 are added with the delivery work."""

from django.db import migrations

GATES = [
    # code, name, 中文, subject, deciding roles, checklist, transition on approval, order
    ("ATI", "Approve to initiate", "立项决策", "opportunity", ["sales_director"],
     ["opportunity.customer_recorded", "opportunity.need_recorded", "opportunity.budget_recorded",
      "opportunity.timeline_recorded", "opportunity.value_positive"], "ati", 10),
    ("DTRB", "Technical review of the bid", "投标技术评审", "project", ["solution"],
     ["project.in_analyze", "project.technical_solution"], "", 20),
    ("DRA", "Delivery review of the bid", "投标交付评审", "project", ["pmo"],
     ["project.in_analyze", "project.delivery_approach", "project.cost_estimate", "project.key_risks"], "", 30),
    ("ATB", "Approve to bid", "投标决策", "opportunity", ["sales_director", "finance"],
     ["delivery.dra_dtrb_approved", "opportunity.quote_submitted"], "atb", 40),
    ("DTRC", "Technical review of the contract", "合同技术评审", "project", ["solution"],
     ["project.in_plan", "project.final_scope"], "", 50),
    ("DRB", "Delivery review of the contract", "合同交付评审", "project", ["pmo"],
     ["project.in_plan", "project.delivery_plan", "finance.budget_draft", "project.key_risks"], "", 60),
    ("ATC", "Approve to contract", "签约决策", "opportunity", ["sales_director", "finance"],
     ["delivery.drb_dtrc_approved", "opportunity.final_quote", "opportunity.payment_terms"], "atc", 70),
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
    dependencies = [("controls", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
