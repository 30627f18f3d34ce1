"""An alarm's severity reads the same word in the inbox and on its pages: iot.choices.Severity."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from safeserve.notifications.models import Level as NotificationLevel


@pytest.fixture(autouse=True)
def chinese():
    """Notification titles are written in the language active when the alarm opens: Chinese here,
    whatever an earlier test left active."""
    with translation.override("zh-hans"):
        yield


def test_inbox_and_alarm_page_name_the_same_severity(client_for, world):
    alarm = world["alarm_a"]  # 480 mA residual current: severity 重要, notification level 警告
    with translation.override("zh-hans"):
        word = str(alarm.get_severity_display())
    assert word == "重要"
    client = client_for("ent_a")
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    item = re.search(r"<form[^>]*list-group-item.*?</form>", inbox, re.S).group(0)
    assert f"【{word}】" in item
    # no second, different word for the same alarm (the notification level is an icon)
    with translation.override("zh-hans"):
        others = {str(label) for _v, label in NotificationLevel.choices} - {word}
    assert not any(other in item for other in others), item
    page = client.get(reverse("iot:alarm_page", args=[alarm.pk])).content.decode()
    assert f">{word}</span>" in page


def test_history_names_the_device_and_the_system_in_words(client_for, world):
    """An alarm raised by readings is the device's doing: its history says 设备, never a blank or a key."""
    from safeserve.core.display import actor_label
    from safeserve.core.models import AuditLog

    alarm = world["alarm_a"]
    assert AuditLog.objects.filter(object_id=str(alarm.pk), actor_name="device").exists()
    html = client_for("town_a").get(reverse("iot:alarm_page", args=[alarm.pk])).content.decode()
    history = html[html.index('data-testid="history"') :]
    assert "设备" in history
    for raw in (">device", ">system", "None"):
        assert raw not in history, raw
    assert [actor_label(k) for k in ("", "system", "device", "load_reference", "system job: x", "张三")] == [
        "系统",
        "系统",
        "设备",
        "数据导入",
        "系统定时任务",
        "张三",
    ]
