"""FilterSet base shared by pages, API and exports: a ``q`` search and scoped choices."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
