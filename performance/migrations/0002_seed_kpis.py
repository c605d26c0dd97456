"""The KPI library's seeded indicators (performance/kpis.py): the computed ones of DOMAIN.md §7.1 and
the teamwork ones. Existing rows are left as HR set them."""

from django.db import migrations

from performance.kpis import SEEDED_KPIS


def seed(apps, schema_editor):
    Kpi = apps.get_model("performance", "Kpi")
    for code, name, name_zh, dimension, source, direction, unit, floor, target in SEEDED_KPIS:
        Kpi.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_zh": name_zh,
                "dimension": dimension,
                "source": source,
                "direction": direction,
                "unit": unit,
                "floor": floor,
                "target": target,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("performance", "0001_kpis_cycles_appraisals")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
