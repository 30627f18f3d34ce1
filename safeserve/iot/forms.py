from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.models import User
from safeserve.core.forms import BoundedForm, ScopedModelForm
from safeserve.registry.forms import EnterpriseByCodeField

from . import models as m


class DeviceProfileForm(ScopedModelForm):
    class Meta:
        model = m.DeviceProfile
        fields = [
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
        ]


class DeviceForm(ScopedModelForm):
    enterprise = EnterpriseByCodeField(label=_("生产经营单位"))

    class Meta:
        model = m.Device
        fields = [
            "enterprise",
            "code",
            "name",
            "place",
            "circuit",
            "device_model",
            "rated_current_a",
            "interval_s",
            "profile",
            "residual_ma",
            "temperature_c",
            "over_voltage_v",
            "under_voltage_v",
            "is_active",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["profile"].required = False
        self.fields["profile"].empty_label = _("（默认配置）")
        if self.instance.pk is None and user is not None and user.role == "enterprise" and not self.is_bound:
            self.initial.setdefault("enterprise", user.enterprise_id)


class AssignForm(BoundedForm):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label=_("处置人"))

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = candidates if candidates is not None else User.objects.none()
        self.fields["assignee"].widget.attrs["class"] = "form-select"


class HandlingForm(BoundedForm):
    measures = forms.CharField(label=_("处置措施"), widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    result = forms.CharField(
        label=_("处置结果"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )
