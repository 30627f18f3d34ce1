from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, ScopedModelForm
from safeserve.core.uploads import verify_image
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, AgencyStaff, Town
from safeserve.services.choices import ServiceItem

from .models import AgencyProfile, Bar, CaseStory, Need, PriceItem, Quote

SORTS = [("rating", _("按评分")), ("served", _("按服务企业数")), ("price", _("按价格"))]


class DirectoryFilter(BoundedForm):
    q = forms.CharField(label=_("机构名称或简介"), required=False, max_length=50)
    service_type = forms.ChoiceField(
        label=_("服务类型"), required=False, choices=[("", _("全部"))] + ServiceType.choices
    )
    town = forms.ModelChoiceField(label=_("服务区域"), required=False, queryset=Town.objects.order_by("sort_order", "code"),
                                  empty_label=_("全部"))  # fmt: skip
    min_rating = forms.DecimalField(label=_("最低评分"), required=False, min_value=1, max_value=5, decimal_places=1)
    grade = forms.CharField(label=_("信用等级"), required=False, max_length=5)
    price_max = forms.DecimalField(
        label=_("价格不高于（元）"), required=False, min_value=0, max_digits=10, decimal_places=0
    )
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORTS)


class ProfileForm(ScopedModelForm):
    class Meta:
        model = AgencyProfile
        fields = ["intro", "towns_served", "public_phone", "public_email"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 5}), "towns_served": forms.CheckboxSelectMultiple}


class PriceItemForm(ScopedModelForm):
    class Meta:
        model = PriceItem
        fields = ["agency", "service_type", "item", "unit", "price_min", "price_max", "included"]


class HideForm(BoundedForm):
    reason = forms.CharField(label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class CaseForm(ScopedModelForm):
    class Meta:
        model = CaseStory
        fields = ["title", "town", "summary", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if user is not None and user.role == "town":
            del self.fields["town"]


class CasePhotoForm(BoundedForm):
    """A case story's picture, uploaded on the story's page (market:case_photo_upload), never through
    the generic edit form (the generic views take no file: core/tests/test_uploads.py)."""

    image = forms.FileField(label=_("配图（JPEG/PNG/WebP）"))

    def clean_image(self):
        return verify_image(self.cleaned_data["image"])


class TransitionForm(BoundedForm):
    note = forms.CharField(label=_("意见"), required=False, max_length=300)


# ---------------------------------------------------------------- needs and quotes

NEED_TYPES = [(v, label) for v, label in ServiceType.choices if v != ServiceType.OTHER]


class NeedForm(ScopedModelForm):
    """What the enterprise publishes. Its town, industry and size come from the register."""

    service_types = forms.MultipleChoiceField(
        label=_("服务类型"), choices=NEED_TYPES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Need
        fields = [
            "service_types", "scope", "visits_per_year", "start_date", "end_date",
            "budget_min", "budget_max", "show_name", "open_to_all", "invited",
        ]  # fmt: skip
        widgets = {
            "scope": forms.Textarea(attrs={"rows": 4}),
            "start_date": DateInput(),
            "end_date": DateInput(),
            "invited": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from . import queries

        ids = [listing.agency.pk for listing in queries.directory()]
        self.fields["invited"].queryset = Agency.objects.filter(pk__in=ids).order_by("name")
        self.fields["invited"].help_text = _("从服务机构名录中选择；仅在不向所有机构公开时使用")
        self.fields["scope"].widget.attrs["placeholder"] = _("例如：隐患排查每年4次；协助标准化创建；每年1次应急演练")

    def clean(self):
        data = super().clean()
        if data.get("open_to_all") is False and not data.get("invited"):
            self.add_error("invited", _("仅邀请时请至少选择一家服务机构。"))
        return data


class QuoteForm(ScopedModelForm):
    items = forms.MultipleChoiceField(
        label=_("服务事项"), choices=ServiceItem.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Quote
        fields = ["price", "visits_per_year", "items", "staff", "plan", "valid_until"]
        widgets = {
            "plan": forms.Textarea(attrs={"rows": 4}),
            "valid_until": DateInput(),
            "staff": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, need=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .actions import items_for

        if need is not None:
            allowed = set(items_for(need.service_types))
            self.fields["items"].choices = [(v, label) for v, label in ServiceItem.choices if v in allowed]
            self.initial.setdefault("items", sorted(allowed))
            self.initial.setdefault("visits_per_year", need.visits_per_year)
        agency_id = getattr(self.user, "agency_id", None)
        self.fields["staff"].queryset = AgencyStaff.objects.filter(agency_id=agency_id, is_active=True).order_by("name")


class MessageForm(BoundedForm):
    text = forms.CharField(label=_("留言"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BarForm(ScopedModelForm):
    class Meta:
        model = Bar
        fields = ["agency", "enterprise", "reason"]
