"""Existing members (registry.Association.members) get an open membership period, dated the day the
association was registered (the earliest date the platform knows)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Association = apps.get_model("registry", "Association")
    Membership = apps.get_model("associations", "Membership")
    rows = []
    for association in Association.objects.all():
        joined = association.created_at.date()
        have = set(Membership.objects.filter(association=association, left_on__isnull=True).values_list("enterprise_id", flat=True))
        for enterprise_id in association.members.values_list("pk", flat=True):
            if enterprise_id not in have:
                rows.append(Membership(association=association, enterprise_id=enterprise_id, joined_on=joined))
    Membership.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("associations", "0001_initial"), ("registry", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
