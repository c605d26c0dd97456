"""On PostgreSQL the database itself refuses UPDATE and DELETE on the transition log."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ltc_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_transitionlog_append_only
  BEFORE UPDATE OR DELETE ON core_transitionlog
  FOR EACH ROW EXECUTE FUNCTION ltc_refuse_change();
"""
BACKWARD = "DROP TRIGGER IF EXISTS core_transitionlog_append_only ON core_transitionlog;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles")]

    operations = [migrations.RunPython(forward, backward)]
