from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from safeserve.core import actions as core_actions
from safeserve.core.display import history_rows
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.views import (
    Column,
    ConfigView,
    ObjectConfig,
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectListView,
)

from . import actions, filters, forms, queries
from . import models as m
from .choices import METRICS, AlarmType, DeviceStatus, Severity

STATUS_BADGES = {
    DeviceStatus.ONLINE: "success",
    DeviceStatus.OFFLINE: "secondary",
    DeviceStatus.ALARMING: "danger",
    DeviceStatus.NEVER: "light",
    DeviceStatus.DISABLED: "dark",
}
SEVERITY_BADGES = {
    Severity.CRITICAL: "danger",
    Severity.MAJOR: "warning",
    Severity.MINOR: "info",
    Severity.WARNING: "secondary",
}
STATE_BADGES = {"active_unack": "danger", "active_ack": "warning", "cleared_unack": "info", "cleared_ack": "success"}


def _with_active_count(qs):
    return qs.annotate(n_active=Count("alarms", filter=Q(alarms__active=True) & ~Q(alarms__type=AlarmType.OFFLINE)))


PROFILE = ObjectConfig(
    model=m.DeviceProfile,
    filterset=filters.DeviceProfileFilterSet,
    form=forms.DeviceProfileForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("residual_ma"),
        Column("temperature_c"),
        Column("over_voltage_v"),
        Column("under_voltage_v"),
        Column("over_current_factor"),
        Column("offline_intervals"),
        Column("is_default"),
    ],
    detail_fields=[
        "name",
        "residual_ma",
        "temperature_c",
        "over_voltage_v",
        "under_voltage_v",
        "over_current_factor",
        "arc_alarm",
        "offline_intervals",
        "clear_after",
        "is_default",
    ],
    ordering=("-is_default", "name"),
)

DEVICE = ObjectConfig(
    model=m.Device,
    filterset=filters.DeviceFilterSet,
    form=forms.DeviceForm,
    columns=[
        Column("code", sort="code", link=True),
        Column("name", sort="name"),
        Column("enterprise", sort="enterprise__name"),
        Column("place"),
        Column("circuit"),
        Column("live_status", label=_lazy("状态"), badge=STATUS_BADGES),
        Column("n_active", label=_lazy("活动报警"), sort="n_active"),
        Column("last_seen_at", sort="last_seen_at"),
    ],
    detail_fields=[
        "code",
        "name",
        "enterprise",
        "place",
        "circuit",
        "device_model",
        "rated_current_a",
        "interval_s",
        "profile",
        "is_active",
        "last_seen_at",
        "secret_rotated_at",
    ],
    select_related=("enterprise", "enterprise__town", "profile"),
    ordering=("enterprise__name", "code"),
    annotate=_with_active_count,
)

ALARM = ObjectConfig(
    model=m.Alarm,
    filterset=filters.AlarmFilterSet,
    form=None,
    columns=[
        Column("raised_at", sort="raised_at", link=True),
        Column("severity", sort="severity", badge=SEVERITY_BADGES),
        Column("type", sort="type"),
        Column("device", sort="device__code"),
        Column("enterprise", sort="enterprise__name"),
        Column("state", sort="state", badge=STATE_BADGES),
        Column("peak_value"),
        Column("count", sort="count"),
        Column("acknowledged_at", sort="acknowledged_at"),
        Column("closed_at", sort="closed_at"),
    ],
    detail_fields=[],
    export_fields=[
        "raised_at",
        "severity",
        "type",
        "device",
        "enterprise",
        "state",
        "threshold",
        "first_value",
        "peak_value",
        "last_value",
        "count",
        "acknowledged_at",
        "acknowledged_by",
        "ack_seconds",
        "assignee",
        "measures",
        "result",
        "closed_at",
        "close_seconds",
    ],
    select_related=("device", "enterprise", "acknowledged_by", "assignee"),
    ordering=("-raised_at", "-id"),
)

DEAD_LETTER = ObjectConfig(
    model=m.DeadLetter,
    filterset=filters.DeadLetterFilterSet,
    form=None,
    columns=[
        Column("received_at", sort="received_at", link=True),
        Column("source", sort="source"),
        Column("device_code", sort="device_code"),
        Column("reason", sort="reason"),
        Column("detail"),
    ],
    detail_fields=["received_at", "source", "device_code", "reason", "detail", "payload"],
    ordering=("-received_at", "-id"),
)


class ReadOnlyContext:
    """Context for object types that people never add or edit (alarms, dead letters)."""

    def ctx(self, **extra):
        c = self.config
        return {
            "config": c,
            "opts": c.opts,
            "verbose_name": c.opts.verbose_name,
            "verbose_name_plural": c.opts.verbose_name_plural,
            "can_add": False,
            "can_change": False,
            "can_delete": False,
            "list_url": reverse(c.route("list")),
            "add_url": "",
            "extra_actions": [],
            **extra,
        }


class ReadOnlyListView(ReadOnlyContext, ObjectListView):
    pass


class ReadOnlyExportView(ReadOnlyContext, ObjectExportView):
    pass


class ReadOnlyDetailView(ReadOnlyContext, ObjectDetailView):
    pass


def _secret_key(pk):
    return f"iot_device_secret_{pk}"


class DeviceEditView(ObjectEditView):
    """Add or edit a device; a new device's secret is shown once on its page."""

    def save(self, obj, form):
        data, _m2m = form.action_data()
        if obj is None:
            device, secret = actions.device_create(actor=self.request.user, data=data)
            self.request.session[_secret_key(device.pk)] = secret
            return device
        if not data.get("profile"):
            data["profile"] = obj.profile
        return core_actions.update_record(actor=self.request.user, instance=obj, data=data)


class DevicePageView(ConfigView):
    """The device page: status, thresholds, latest values, alarms and 24 h / 30 day charts."""

    def get(self, request, pk):
        user = request.user
        device = get_visible_or_404(self.config.queryset(user), user, pk=pk)
        now = timezone.now()
        can_change = m.Device.objects.visible_to(user, "change").filter(pk=pk).exists()
        can_delete = m.Device.objects.visible_to(user, "delete").filter(pk=pk).exists()
        latest = queries.latest_reading(device)
        metrics = []
        if latest is not None:
            for name, (label, unit, _range) in METRICS.items():
                value = getattr(latest, name)
                if value is not None:
                    metrics.append((name, label, value, unit))
        alarms = queries.alarms(user).filter(device=device)
        context = self.ctx(
            object=device,
            device=device,
            status=device.status(now=now, alarming=device.n_active > 0),
            status_badges=STATUS_BADGES,
            thresholds=device.thresholds(),
            latest=latest,
            latest_at=m.ms_to_dt(latest.ts) if latest else None,
            metrics=metrics,
            extra=latest.extra if latest else None,
            active_alarms=alarms.filter(active=True),
            recent_alarms=alarms.filter(active=False)[:20],
            series_24h=queries.series_24h(device, now=now),
            series_30d=queries.series_30d(device, now=now),
            secret=request.session.pop(_secret_key(device.pk), None),
            edit_url=reverse("iot:device_edit", args=[pk]) if can_change else None,
            delete_url=reverse("iot:device_delete", args=[pk]) if can_delete else None,
            rotate_url=reverse("iot:device_rotate", args=[pk]) if can_change else None,
            history=history_rows(device, request.user, 50),
            severity_badges=SEVERITY_BADGES,
            state_badges=STATE_BADGES,
        )
        return render(request, "iot/device_page.html", context)


class DeviceRotateView(LoginRequiredMixin, View):
    def post(self, request, pk):
        device = get_visible_or_404(m.Device, request.user, "change", pk=pk)
        secret = actions.device_rotate_secret(actor=request.user, device=device)
        request.session[_secret_key(device.pk)] = secret
        messages.success(request, _("已更换设备密钥，旧密钥立即失效"))
        return redirect(device.get_absolute_url())


class AlarmPageView(ReadOnlyContext, ConfigView):
    """The handling page (处置): acknowledge, assign, record measures and result, close."""

    def get_alarm(self, pk):
        return get_visible_or_404(queries.alarms(self.request.user), self.request.user, pk=pk)

    def render_page(self, alarm, assign_form=None, handling_form=None, status=200):
        user = self.request.user
        allowed = actions.allowed_actions(user, alarm)
        th = alarm.threshold
        context = self.ctx(
            object=alarm,
            alarm=alarm,
            allowed=allowed,
            assign_form=assign_form or forms.AssignForm(candidates=queries.alarm_handlers(alarm)),
            handling_form=handling_form
            or forms.HandlingForm(initial={"measures": alarm.measures, "result": alarm.result}),
            started_at=m.ms_to_dt(alarm.started_ts),
            last_at=m.ms_to_dt(alarm.last_ts),
            threshold=th,
            severity_badges=SEVERITY_BADGES,
            state_badges=STATE_BADGES,
            history=history_rows(alarm, user, 50),
            can_make_hazard=actions.may_make_hazard(user, alarm),
        )
        return render(self.request, "iot/alarm_page.html", context, status=status)

    def get(self, request, pk):
        return self.render_page(self.get_alarm(pk))

    def post(self, request, pk):
        alarm = self.get_alarm(pk)
        op = request.POST.get("op")
        assign_form = handling_form = None
        try:
            if op == "acknowledge":
                actions.alarm_acknowledge(actor=request.user, alarm=alarm)
                messages.success(request, _("已确认报警"))
            elif op == "assign":
                assign_form = forms.AssignForm(request.POST, candidates=queries.alarm_handlers(alarm))
                if not assign_form.is_valid():
                    return self.render_page(alarm, assign_form=assign_form, status=400)
                actions.alarm_assign(actor=request.user, alarm=alarm, assignee=assign_form.cleaned_data["assignee"])
                messages.success(request, _("已指派处置人"))
            elif op in ("record", "close"):
                handling_form = forms.HandlingForm(request.POST)
                if not handling_form.is_valid():
                    return self.render_page(alarm, handling_form=handling_form, status=400)
                data = handling_form.cleaned_data
                if op == "record":
                    actions.alarm_record(
                        actor=request.user, alarm=alarm, measures=data["measures"], result=data["result"]
                    )
                    messages.success(request, _("已记录处置措施"))
                else:
                    actions.alarm_close(
                        actor=request.user, alarm=alarm, measures=data["measures"], result=data["result"]
                    )
                    messages.success(request, _("报警已关闭"))
            elif op == "to_hazard":
                hazard = actions.alarm_to_hazard(actor=request.user, alarm=alarm)
                messages.success(request, _("已转为隐患，进入隐患排查治理闭环"))
                return redirect(hazard.get_absolute_url())
            else:
                return self.render_page(alarm, status=400)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
            return self.render_page(
                self.get_alarm(pk), assign_form=assign_form, handling_form=handling_form, status=400
            )
        return redirect(reverse("iot:alarm_page", args=[pk]))


class OverviewView(LoginRequiredMixin, View):
    """Devices by town (county) or by enterprise: live status, active alarms by severity, MTTA."""

    def get(self, request):
        if not request.user.has_perm("iot.view_device"):
            raise PermissionDenied
        data = queries.overview(request.user)
        return render(
            request,
            "iot/overview.html",
            {
                **data,
                "statuses": [
                    (s, DeviceStatus(s).label, data["totals"][s], STATUS_BADGES[s]) for s in DeviceStatus.values
                ],
                "severity_badges": SEVERITY_BADGES,
                "severity_labels": [Severity(s).label for s in Severity.values],
            },
        )
