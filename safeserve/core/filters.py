"""FilterSet base shared by pages, API and exports: a ``q`` search, scoped choices, bounded values."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .validation import MAX_DAYS, bound_form_fields, id_validators


class IdFilter(django_filters.NumberFilter):
    """A record id: a whole number in 1..2^63-1 (``1e30`` or ``1.5`` are a form error, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", id_validators())
        super().__init__(*args, **kwargs)


class DaysFilter(django_filters.NumberFilter):
    """A span in days, 0..MAX_DAYS, for filters such as "due within N days"."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_DAYS)
        super().__init__(*args, **kwargs)


def visible_choices(model):
    """A queryset callable for ModelChoiceFilter: only what the requesting user may see."""

    def qs(request):
        if request is None:
            return model.objects.none()
        return model.objects.visible_to(request.user)

    return qs


class ScopedFilterSet(django_filters.FilterSet):
    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(method="search", label=_("搜索"))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        # Chinese has no letter case: for a caseless term a plain LIKE finds the same rows and spares
        # UPPER() on every row (3x faster on PostgreSQL; docs/benchmarks.md).
        caseless = value.lower() == value.upper()
        cond = Q()
        for f in self.search_fields:
            if caseless and f.endswith("__icontains"):
                f = f.removesuffix("__icontains") + "__contains"
            cond |= Q(**{f: value})
        return queryset.filter(cond)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.order_fields(["q"])  # the search box first; rarely used filters fold away
        bound_form_fields(self.form.fields)  # dates 1900..2200, numbers within 64 bits
        for f in self.form.fields.values():
            if hasattr(f, "empty_label"):
                f.empty_label = _("全部")
            if isinstance(f, forms.NullBooleanField):
                f.widget = forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))])
            w = f.widget
            if isinstance(w, forms.Select | forms.NullBooleanSelect):
                w.attrs.setdefault("class", "form-select form-select-sm")
            else:
                w.attrs.setdefault("class", "form-control form-control-sm")
