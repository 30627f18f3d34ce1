import django_filters
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import ScopedFilterSet, visible_choices

from .choices import Role
from .models import User


class UserFilterSet(ScopedFilterSet):
    search_fields = ("username__icontains", "full_name__icontains", "phone__startswith")
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("角色"))
    town = django_filters.ModelChoiceFilter(
        queryset=visible_choices(apps.get_model("registry", "Town")), label=_("镇（街道）")
    )

    class Meta:
        model = User
        fields = ["role", "town", "is_active"]
