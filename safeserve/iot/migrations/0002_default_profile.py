from django.db import migrations


def create_default(apps, schema_editor):
    DeviceProfile = apps.get_model("iot", "DeviceProfile")
    if not DeviceProfile.objects.filter(is_default=True).exists():
        DeviceProfile.objects.create(name="标准电气火灾监控", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("iot", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
