"""Reads shared by pages, APIs and exports. Each takes the acting user; scoping happens here."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core.hooks import IndicatorFigure

from .choices import AMPS, SEVERITY_ORDER, TEMPS, VOLTS, AlarmType, DeviceStatus, Severity
from .models import Alarm, DeadLetter, Device, Reading, ReadingHour, dt_to_ms, iot_setting

SEVERITY_BADGES = {Severity.CRITICAL: "danger", Severity.MAJOR: "warning", Severity.MINOR: "info"}


def covered_by_device(enterprise_ids, on_date: date | None = None):
    """Coverage channel "iot_device" (core.hooks.COVERAGE_CHANNELS): of ``enterprise_ids``, those with
    a smart-electrical device **online on** ``on_date``: at least one hourly rollup of its readings
    within that local day. A device has no installation or removal date; its readings are the
    dated record that it was installed, powered and reporting (a disabled device reports nothing).
    Rollups are kept ROLLUP_RETENTION_DAYS (3 years), as long as the coverage trend reaches back."""
    on_date = on_date or timezone.localdate()
    start = timezone.make_aware(datetime.combine(on_date, time.min))
    first_hour = int(start.timestamp()) // 3600
    reported = ReadingHour.objects.filter(device=OuterRef("pk"), hour__gte=first_hour, hour__lt=first_hour + 24)
    devices = Device.objects.filter(Exists(reported))
    if enterprise_ids is not None:  # None: every enterprise (core.hooks, whole_register)
        devices = devices.filter(enterprise_id__in=enterprise_ids)
    return devices.values("enterprise_id")


def handling_minutes() -> int:
    """The handling deadline: an active alarm unacknowledged this long is escalated (a setting)."""
    return iot_setting("ESCALATE_CRITICAL_MINUTES")


def unhandled_q(now=None) -> Q:
    """Active alarms nobody has acknowledged within the handling deadline (computed, never stored)."""
    now = now or timezone.now()
    return Q(active=True, acknowledged_at__isnull=True, raised_at__lte=now - timedelta(minutes=handling_minutes()))


def home_summary(user) -> dict:
    """Cards for the role home page (core.home hook): active alarms and those past the handling deadline."""
    if not user.has_perm("iot.view_alarm"):
        return {"cards": [], "charts": []}
    url = reverse("iot:alarm_list")
    agg = Alarm.objects.visible_to(user).aggregate(
        n_active=Count("id", filter=Q(active=True)), n_unhandled=Count("id", filter=unhandled_q())
    )
    cards = [
        {"key": "alarms-active", "label": _("活动报警"), "value": agg["n_active"], "url": url + "?active=true"},
        {
            "key": "alarms-unhandled",
            "label": _("超时未确认报警（超过 %(m)d 分钟）") % {"m": handling_minutes()},
            "value": agg["n_unhandled"],
            "url": url + "?unhandled=true",
        },
    ]
    if user.has_perm("iot.view_device"):
        cards.append(
            {
                "key": "devices",
                "label": _("用电监测设备"),
                "value": Device.objects.visible_to(user).count(),
                "url": reverse("iot:device_list"),
            }
        )
    return {"cards": cards, "charts": []}


def enterprise_panels(request, enterprise) -> list[dict]:
    """Devices and alarms of one enterprise as the viewer may see them (core.hooks.ENTERPRISE_PANELS)."""
    user = request.user
    if not user.has_perm("iot.view_device"):
        return []
    pk = enterprise.pk
    n_devices = Device.objects.visible_to(user).filter(enterprise_id=pk).count()
    alarms = Alarm.objects.visible_to(user).filter(enterprise_id=pk)
    agg = alarms.aggregate(n_active=Count("id", filter=Q(active=True)), n_unhandled=Count("id", filter=unhandled_q()))
    alarm_url = reverse("iot:alarm_list") + f"?enterprise={pk}"
    return [
        {
            "key": "iot",
            "title": _("智慧用电"),
            "figures": [
                {
                    "key": "devices",
                    "label": _("监测设备"),
                    "value": n_devices,
                    "url": reverse("iot:device_list") + f"?enterprise={pk}",
                },
                {"key": "active", "label": _("活动报警"), "value": agg["n_active"], "url": f"{alarm_url}&active=true"},
                {
                    "key": "unhandled",
                    "label": _("超时未确认"),
                    "value": agg["n_unhandled"],
                    "url": f"{alarm_url}&unhandled=true",
                    "alert": 1,
                },
            ],
            "items": [
                {
                    "text": f"{a.get_type_display()} · {a.device.code}",
                    "url": a.get_absolute_url(),
                    "meta": f"{a.get_severity_display()} {timezone.localtime(a.raised_at):%m-%d %H:%M}",
                    "badge": SEVERITY_BADGES.get(a.severity, "secondary"),
                }
                for a in alarms.filter(active=True).select_related("device")[:5]
            ],
            "url": f"{alarm_url}&active=true",
            "more": _("全部活动报警"),
        }
    ]


def devices(user, action="view"):
    """Visible devices with what the live status needs (one query for any number of rows)."""
    return (
        Device.objects.visible_to(user, action)
        .select_related("enterprise", "enterprise__town", "profile")
        .annotate(n_active=Count("alarms", filter=Q(alarms__active=True) & ~Q(alarms__type=AlarmType.OFFLINE)))
    )


def alarms(user, action="view"):
    return Alarm.objects.visible_to(user, action).select_related("device", "enterprise", "enterprise__town")


def dead_letters(user):
    return DeadLetter.objects.visible_to(user)


def status_of(device, now) -> str:
    return device.status(now=now, alarming=getattr(device, "n_active", 0) > 0)


def overview(user, *, now=None) -> dict:
    """Cards and a table for the user's scope: by town for the county, by enterprise otherwise."""
    now = now or timezone.now()
    by_town = user.is_superuser or user.role == "county"
    rows = (
        Device.objects.visible_to(user)
        .annotate(n_active=Count("alarms", filter=Q(alarms__active=True) & ~Q(alarms__type=AlarmType.OFFLINE)))
        .values(
            "id",
            "is_active",
            "last_seen_at",
            "interval_s",
            "n_active",
            "enterprise_id",
            "enterprise__name",
            "enterprise__town_id",
            "enterprise__town__name",
            offline_intervals=F("profile__offline_intervals"),
        )
    )
    totals = dict.fromkeys(DeviceStatus.values, 0)
    groups: dict = defaultdict(lambda: {"devices": 0, **dict.fromkeys(DeviceStatus.values, 0)})
    labels = {}
    for r in rows:
        if not r["is_active"]:
            status = DeviceStatus.DISABLED
        elif r["last_seen_at"] is None:
            status = DeviceStatus.NEVER
        elif now - r["last_seen_at"] > timedelta(seconds=r["offline_intervals"] * r["interval_s"]):
            status = DeviceStatus.OFFLINE
        elif r["n_active"]:
            status = DeviceStatus.ALARMING
        else:
            status = DeviceStatus.ONLINE
        totals[status] += 1
        key = r["enterprise__town_id"] if by_town else r["enterprise_id"]
        labels[key] = r["enterprise__town__name"] if by_town else r["enterprise__name"]
        groups[key]["devices"] += 1
        groups[key][status] += 1

    active = Alarm.objects.visible_to(user).filter(active=True)
    group_field = "enterprise__town_id" if by_town else "enterprise_id"
    sev_rows = active.values(group_field, "severity").annotate(n=Count("id")).order_by()
    sev_totals = dict.fromkeys(Severity.values, 0)
    for r in sev_rows:
        sev_totals[r["severity"]] += r["n"]
        groups[r[group_field]].setdefault("severity", {})
        groups[r[group_field]]["severity"][r["severity"]] = r["n"]
        if r[group_field] not in labels:
            labels[r[group_field]] = ""
    since = now - timedelta(days=30)
    acked = Alarm.objects.visible_to(user).filter(acknowledged_at__gte=since, ack_seconds__isnull=False)
    mtta_rows = dict(acked.values_list(group_field).annotate(a=Avg("ack_seconds")).order_by())
    mtta_all = acked.aggregate(a=Avg("ack_seconds"))["a"]
    table = []
    for key, g in groups.items():
        sev = g.get("severity", {})
        table.append(
            {
                "key": key,
                "label": labels.get(key, ""),
                "devices": g["devices"],
                "online": g[DeviceStatus.ONLINE],
                "offline": g[DeviceStatus.OFFLINE],
                "alarming": g[DeviceStatus.ALARMING],
                "never": g[DeviceStatus.NEVER],
                "severity": [sev.get(s, 0) for s in SEVERITY_ORDER],
                "mtta": mtta_rows.get(key),
            }
        )
    table.sort(key=lambda r: (-sum(r["severity"]), -r["alarming"], str(r["label"])))
    return {
        "by_town": by_town,
        "totals": totals,
        "severity": [(s, Severity(s).label, sev_totals[s]) for s in SEVERITY_ORDER],
        "mtta": mtta_all,
        "table": table,
    }


def series_24h(device, *, now=None) -> dict:
    """Per-minute points for the last 24 hours (max of currents/temperatures, mean of voltages)."""
    now = now or timezone.now()
    since = dt_to_ms(now - timedelta(hours=24))
    aggs = {"residual_ma": Max("residual_ma"), "arc": Max("arc")}
    for m in TEMPS + AMPS:
        aggs[m] = Max(m)
    for m in VOLTS:
        aggs[m] = Avg(m)
    rows = (
        Reading.objects.filter(device=device, ts__gte=since)
        .annotate(minute=F("ts") / 60_000)
        .values("minute")
        .annotate(**aggs)
        .order_by("minute")
    )
    return _columns(rows, "minute", 60_000, list(aggs))


def series_30d(device, *, now=None) -> dict:
    """Hourly points for the last 30 days from the rollup table."""
    now = now or timezone.now()
    first = dt_to_ms(now - timedelta(days=30)) // 3_600_000
    fields = ["residual_ma_max", *(f"{m}_max" for m in TEMPS), *(f"{m}_avg" for m in VOLTS)]
    fields += [f"{m}_max" for m in AMPS] + ["arc_max"]
    rows = ReadingHour.objects.filter(device=device, hour__gte=first).order_by("hour").values("hour", *fields)
    return _columns(rows, "hour", 3_600_000, fields)


def _columns(rows, key, scale, fields) -> dict:
    out = {"t": [], **{f: [] for f in fields}}
    for r in rows:
        out["t"].append(int(r[key]) * scale)
        for f in fields:
            v = r[f]
            out[f].append(round(v, 2) if isinstance(v, float) else v)
    return out


def latest_reading(device):
    return Reading.objects.filter(device=device).order_by("-ts").first()


def agencies_of(enterprise_id) -> list[int]:
    """Agencies serving an enterprise under a contract in force today: they hear of its alarms."""
    from safeserve.services.queries import agencies_in_force_for

    return agencies_in_force_for(enterprise_id)


def alarm_handlers(alarm):
    """People who may be assigned an alarm: its enterprise's users, its town office, its contracted
    agency (active accounts). ``actions.alarm_assign`` enforces it; the page offers exactly these."""
    from safeserve.accounts.choices import Role
    from safeserve.accounts.models import User

    return User.objects.filter(
        Q(role=Role.ENTERPRISE, enterprise_id=alarm.enterprise_id)
        | Q(role=Role.TOWN, town_id=alarm.enterprise.town_id)
        | Q(role=Role.AGENCY, agency_id__in=agencies_of(alarm.enterprise_id)),
        is_active=True,
    ).order_by("role", "username")


# ---------------------------------------------------------------- indicator source (assessments)


def indicator_alarms_handled(subject, subject_ids, start, end):
    """报警按时处置率 (core.hooks.INDICATOR_SOURCES "iot.alarms_handled"): of the alarms raised in the
    period at the subjects' enterprises, the share acknowledged within the handling deadline (the
    escalation setting, minutes) and before the cut-off; from the alarms' own times as of ``end``."""
    ids = list(subject_ids)
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    limit = timedelta(minutes=handling_minutes())
    found: dict = {sid: [] for sid in ids}
    handled = dict.fromkeys(ids, 0)
    rows = (
        Alarm.objects.filter(enterprise__town_id__in=ids, raised_at__gte=lo, raised_at__lt=hi)
        .values_list("pk", "enterprise__town_id", "raised_at", "acknowledged_at")
        .order_by()
    )
    for pk, sid, raised, acked in rows:
        found[sid].append(pk)
        if acked is not None and acked < hi and acked - raised <= limit:
            handled[sid] += 1
    return {
        sid: IndicatorFigure(
            value=(Decimal(handled[sid]) * 100 / Decimal(len(found[sid]))).quantize(Decimal("0.01"))
            if found[sid]
            else None,
            numerator=handled[sid],
            denominator=len(found[sid]),
            records={"iot.alarm": sorted(found[sid])},
        )
        for sid in ids
    }
