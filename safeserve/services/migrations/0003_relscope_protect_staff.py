"""People on contracts and visits are protected: explicit through models on the existing tables.

The two many-to-many tables Django created stay as they are (same names, same columns); only the
model state changes, so that deleting an AgencyStaff who is on a visit or contract raises
ProtectedError instead of silently removing them from signed, hash-chained records.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_relscope_qualifications"),
        ("services", "0002_seed_general_checklist"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="servicevisit",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="录入人",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ContractStaff",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "servicecontract",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="services.servicecontract",
                            ),
                        ),
                        (
                            "agencystaff",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.agencystaff",
                                verbose_name="指派人员",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "合同指派人员",
                        "verbose_name_plural": "合同指派人员",
                        "db_table": "services_servicecontract_staff",
                        "unique_together": {("servicecontract", "agencystaff")},
                    },
                ),
                migrations.AlterField(
                    model_name="servicecontract",
                    name="staff",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="contracts",
                        through="services.ContractStaff",
                        to="registry.agencystaff",
                        verbose_name="指派人员",
                    ),
                ),
                migrations.CreateModel(
                    name="VisitStaff",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "servicevisit",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="services.servicevisit",
                            ),
                        ),
                        (
                            "agencystaff",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.agencystaff",
                                verbose_name="到场人员",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "服务记录到场人员",
                        "verbose_name_plural": "服务记录到场人员",
                        "db_table": "services_servicevisit_staff",
                        "unique_together": {("servicevisit", "agencystaff")},
                    },
                ),
                migrations.AlterField(
                    model_name="servicevisit",
                    name="staff",
                    field=models.ManyToManyField(
                        related_name="visits",
                        through="services.VisitStaff",
                        to="registry.agencystaff",
                        verbose_name="到场人员",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
