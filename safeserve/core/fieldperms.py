"""Which fields each role may write: declared once per model, enforced at every door.

Each app's ``roles.py`` holds, next to ``ROLE_PERMISSIONS``, a ``WRITABLE_FIELDS`` table:
model name -> role -> rule. A rule is ``ALL``, ``Except(...)`` (all but these), a set of field
names, or ``{"add": rule, "change": rule}`` when creating and changing differ. A role missing from
a model's table writes nothing; a model without a table is writable by nobody (fails closed).

``writable_fields_for(user, model, instance)`` resolves a rule into field names. Forms disable the
other fields, serializers and ``core.actions`` refuse a change to them with a 400 naming the field
(``check_writable``), imports refuse their columns. Permissions (``ROLE_PERMISSIONS``) say whether a
role may change a model at all and ``visible_to`` which rows; this table says which fields.
"""

from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


class _All:
    def __repr__(self):
        return "ALL"


ALL = _All()


class Except(frozenset):
    """Every editable field but these."""


def editable_fields(model) -> frozenset[str]:
    """Concrete and many-to-many fields a person could ever write (model meta, not a hand list)."""
    names = set()
    for f in model._meta.get_fields():
        if f.auto_created or not getattr(f, "editable", False) or getattr(f, "primary_key", False):
            continue
        if f.concrete or f.many_to_many:
            names.add(f.name)
    return frozenset(names)


@cache
def _tables() -> dict:
    found: dict = {}
    for app in apps.get_app_configs():
        try:
            table = import_string(f"{app.name}.roles.WRITABLE_FIELDS")
        except ImportError:
            continue
        for model_name, rules in table.items():
            found[(app.label, model_name)] = rules
    return found


def declaration(model) -> dict | None:
    """The role -> rule table of a model, or None when the model declares none."""
    return _tables().get((model._meta.app_label, model._meta.model_name))


def _resolve(rule, model) -> frozenset[str]:
    everything = editable_fields(model)
    if rule is ALL:
        return everything
    if isinstance(rule, Except):
        return everything - rule
    return everything & frozenset(rule)


def writable_fields_for(user, model, instance=None) -> frozenset[str]:
    """Fields ``user`` may set when creating (no ``instance``/no pk) or changing ``instance``.

    ``user=None`` is the system (imports, scheduled jobs): everything.
    """
    if user is None or getattr(user, "is_superuser", False):
        return editable_fields(model)
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    rules = declaration(model) or {}
    rule = rules.get(getattr(user, "role", ""))
    if rule is None:
        return frozenset()
    if isinstance(rule, dict):
        rule = rule.get("change" if instance is not None and instance.pk else "add")
        if rule is None:
            return frozenset()
    return _resolve(rule, model)


def _current(instance, field):
    if field.many_to_many:
        if instance is None or not instance.pk:
            return set()
        return set(getattr(instance, field.name).values_list("pk", flat=True))
    if field.is_relation:
        return getattr(instance, field.attname)
    return getattr(instance, field.attname)


def _incoming(field, value):
    try:
        if field.many_to_many:
            values = [value] if isinstance(value, str | int) else list(value or [])
            return {v.pk if isinstance(v, models.Model) else field.target_field.to_python(v) for v in values}
        if field.is_relation:
            if isinstance(value, models.Model):
                return value.pk
            return None if value in (None, "") else field.target_field.to_python(value)
        return field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return value


def refused_fields(*, actor, model, instance=None, data: dict, m2m: dict | None = None, system_fields=()) -> dict:
    """{field name: Chinese reason} for each value in ``data``/``m2m`` the actor may not write.

    A value equal to the stored one (or, when creating, to the field's default) is no write: a form
    posts unchanged fields, a PUT sends every field. ``system_fields`` are set by the calling action
    itself (a default profile, a secret hash), never by the actor.
    """
    allowed = writable_fields_for(actor, model, instance)
    base = instance if instance is not None and instance.pk else model()
    refused = {}
    for name, value in {**data, **(m2m or {})}.items():
        if name in allowed or name in system_fields:
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            refused[name] = _("您无权填写该字段")
            continue
        if _incoming(field, value) == _current(base, field):
            continue
        refused[name] = _("您无权修改「%(field)s」") % {"field": field.verbose_name}
    return refused


def check_writable(*, actor, model, instance=None, data: dict, m2m: dict | None = None, system_fields=()) -> None:
    """Raise a ValidationError naming each field the actor tried to write without the right."""
    refused = refused_fields(
        actor=actor, model=model, instance=instance, data=data, m2m=m2m, system_fields=system_fields
    )
    if refused:
        raise ValidationError(refused)
