"""Data migration: the GB/T 4754-2017 industries every database needs (idempotent)."""

from django.db import migrations


def load(apps, schema_editor):
    from safeserve.registry.reference import load_industries

    load_industries(apps.get_model("registry", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
