"""Finance's checks on DR4 (DOMAIN.md §4: final accounts; all invoices issued): the review now needs
the final accounts prepared and every payment milestone invoiced."""

from django.db import migrations

KEYS = ["finance.final_accounts_prepared", "finance.payments_invoiced"]


def add(apps, schema_editor):
    GateDefinition = apps.get_model("controls", "GateDefinition")
    for gate in GateDefinition.objects.filter(code="DR4"):
        gate.checklist = list(gate.checklist) + [k for k in KEYS if k not in gate.checklist]
        gate.save(update_fields=["checklist"])


def remove(apps, schema_editor):
    GateDefinition = apps.get_model("controls", "GateDefinition")
    for gate in GateDefinition.objects.filter(code="DR4"):
        gate.checklist = [k for k in gate.checklist if k not in KEYS]
        gate.save(update_fields=["checklist"])


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0007_final_accounts"),
        ("controls", "0003_seed_delivery_reviews"),
    ]

    operations = [migrations.RunPython(add, remove)]
