"""An alarm's severity reads the same word in the inbox and on its pages: iot.choices.Severity."""

import re

from django.urls import reverse

from safeserve.notifications.models import Level as NotificationLevel


def test_inbox_and_alarm_page_name_the_same_severity(client_for, world):
    alarm = world["alarm_a"]  # 480 mA residual current: severity 重要, notification level 警告
    word = alarm.get_severity_display()
    assert word == "重要"
    client = client_for("ent_a")
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    item = re.search(r"<form[^>]*list-group-item.*?</form>", inbox, re.S).group(0)
    assert f"【{word}】" in item
    # no second, different word for the same alarm (the notification level is an icon)
    others = {str(label) for _v, label in NotificationLevel.choices} - {word}
    assert not any(other in item for other in others), item
    page = client.get(reverse("iot:alarm_page", args=[alarm.pk])).content.decode()
    assert f">{word}</span>" in page
