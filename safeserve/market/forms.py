from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, ScopedModelForm
from safeserve.core.uploads import verify_image
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Town

from .models import AgencyProfile, CaseStory, PriceItem

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
    image = forms.FileField(label=_("配图（可选，JPEG/PNG/WebP）"), required=False)

    class Meta:
        model = CaseStory
        fields = ["title", "town", "summary", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.role == "town":
            del self.fields["town"]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        return verify_image(image) if image else None


class TransitionForm(BoundedForm):
    note = forms.CharField(label=_("意见"), required=False, max_length=300)
