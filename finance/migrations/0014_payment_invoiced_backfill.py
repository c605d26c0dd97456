from decimal import Decimal

from django.db import migrations


def invoiced_from_invoices(apps, schema_editor):
    """Every payment milestone's invoiced amount is the sum of its invoices that are not void (one UPDATE)."""
    from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    PaymentMilestone = apps.get_model("contracts", "PaymentMilestone")
    Invoice = apps.get_model("finance", "Invoice")
    money = DecimalField(max_digits=18, decimal_places=2)
    invoiced = (
        Invoice.objects.filter(payment_milestone=OuterRef("pk"))
        .exclude(state="void")
        .order_by()
        .values("payment_milestone")
        .annotate(t=Sum("amount"))
        .values("t")
    )
    PaymentMilestone.objects.filter(pk__in=Invoice.objects.values("payment_milestone")).update(
        invoiced_amount=Coalesce(Subquery(invoiced, output_field=money), Value(Decimal(0), output_field=money))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0008_payment_invoiced_amount"),
        ("finance", "0013_invoice_paid_amount"),
    ]

    operations = [migrations.RunPython(invoiced_from_invoices, migrations.RunPython.noop, elidable=True)]
