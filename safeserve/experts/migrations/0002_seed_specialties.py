from django.db import migrations

NAMES = ["危化", "机械", "电气", "消防", "粉尘涉爆", "有限空间", "职业卫生", "建筑施工", "特种设备", "冶金", "涉氨制冷", "安全管理"]


def seed(apps, schema_editor):
    Specialty = apps.get_model("experts", "Specialty")
    for i, name in enumerate(NAMES):
        Specialty.objects.get_or_create(name=name, defaults={"sort_order": i})


class Migration(migrations.Migration):
    dependencies = [("experts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
