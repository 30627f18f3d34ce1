"""The persona world with every capability's records: contracts, visits, hazards (services_fixtures),
a device with an active alarm on each side, and an enterprise in town A without any contract.

Used by the tests that walk whole pages across apps (homes, the enterprise 360° page)."""

import json
import time


def extend_full(world):
    from safeserve.iot import actions as iot_actions
    from safeserve.iot import ingest
    from safeserve.iot.choices import Source
    from safeserve.iot.models import Alarm
    from safeserve.registry.models import Enterprise
    from safeserve_dev.services_fixtures import extend_world
    from safeserve_dev.testkit import make_credit_code

    extend_world(world)
    o = world.objs
    ts = int(time.time() * 1000) - 5000
    for key, ent, code in (("a", "ent_a", "JS-A-0001"), ("b", "ent_b", "XT-B-0001")):
        device, secret = iot_actions.device_create(
            actor=None,
            data={
                "enterprise": o[ent],
                "code": code,
                "name": f"{code}配电箱",
                "place": "一车间",
                "circuit": "动力回路",
                "rated_current_a": 32,
                "interval_s": 60,
            },
        )
        o[f"device_{key}"] = device
        body = json.dumps({"ts": ts, "values": {"residual_ma": 480}})
        ingest.ingest([ingest.Message(body=body, source=Source.HTTP, device_code=code, secret=secret)])
        o[f"alarm_{key}"] = Alarm.objects.get(device=device)
    # Something late on side A, so that the "overdue" and "unhandled" figures are not all zero.
    from datetime import timedelta

    from django.utils import timezone

    from safeserve.hazards.models import Hazard

    Hazard.objects.filter(pk=o["hazard_a"].pk).update(deadline=timezone.localdate() - timedelta(days=3))
    Alarm.objects.filter(pk=o["alarm_a"].pk).update(raised_at=timezone.now() - timedelta(hours=2))
    a = o["ent_a"]
    o["ent_c"] = Enterprise.objects.create(
        credit_code=make_credit_code(3),
        name="嘉善丙木业有限公司",
        address="罗星街道鑫锋村3号",
        town=a.town,
        village=a.village,
        industry=a.industry,
        legal_representative="陈六",
    )
    return world
