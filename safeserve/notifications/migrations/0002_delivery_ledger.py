"""Delivery becomes the delivery job's ledger: status, attempts, retry time, one row per channel."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    Delivery.objects.filter(ok=True).update(status="sent", sent_at=models.F("created_at"), attempts=1)
    Delivery.objects.filter(ok=False).update(status="failed", last_error=models.F("detail"), attempts=1)


def backwards(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    Delivery.objects.exclude(status="sent").update(ok=False)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="delivery", old_name="at", new_name="created_at"),
        migrations.AlterField(
            model_name="delivery",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "待发送"),
                    ("sending", "发送中"),
                    ("sent", "已发送"),
                    ("failed", "发送失败"),
                    ("unknown", "结果未知"),
                ],
                default="pending",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="下次尝试时间"),
        ),
        migrations.AddField(model_name="delivery", name="claimed_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(
            model_name="delivery",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="发送时间"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="last_error",
            field=models.CharField(blank=True, max_length=500, verbose_name="最近错误"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="delivery", name="ok"),
        migrations.AlterField(
            model_name="delivery",
            name="notification",
            field=models.ForeignKey(
                on_delete=models.deletion.CASCADE,
                related_name="deliveries",
                to="notifications.notification",
                verbose_name="通知",
            ),
        ),
        migrations.AlterModelOptions(
            name="delivery",
            options={"ordering": ["-created_at", "-id"], "verbose_name": "投递记录", "verbose_name_plural": "投递记录"},
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(fields=("notification", "channel"), name="delivery_once_per_channel"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["status", "next_attempt_at"], name="notificatio_status_00072e_idx"),
        ),
    ]
