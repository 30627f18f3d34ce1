"""Bounds on what a client may send, declared once for filters, forms and serializers.

Anything a client types reaches the database or date arithmetic only inside these bounds, so a
hostile value is a 400 with a Chinese message instead of an OverflowError (ids past SQLite's
64-bit integers, ``date.max + timedelta``, years outside 1..9999). docs/decisions/0015-input-validation.md
"""

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

MAX_ID = 2**63 - 1  # the largest primary key SQLite and PostgreSQL bigint hold
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year
MAX_DAYS = 3660  # "due within N days" and similar spans: ten years is plenty


@deconstructible
class DateRangeValidator:
    """Dates and datetimes between MIN_DATE and MAX_DATE (date arithmetic stays far from date.max)."""

    message = _("日期须在 %(min)s 至 %(max)s 之间")
    code = "date_range"

    def __call__(self, value):
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not (MIN_DATE <= day <= MAX_DATE):
            raise ValidationError(self.message, code=self.code, params={"min": MIN_DATE, "max": MAX_DATE})

    def __eq__(self, other):
        return isinstance(other, DateRangeValidator)


def id_validators():
    return [
        MinValueValidator(1, message=_("编号须为正整数")),
        MaxValueValidator(MAX_ID, message=_("编号过大")),
    ]


def parse_id(value) -> int | None:
    """A record id from a query parameter, or None when it is not a whole number in 1..MAX_ID."""
    try:
        n = int(str(value).strip())
    except ValueError:
        return None
    return n if 1 <= n <= MAX_ID else None


def _has(validators, kind):
    return any(isinstance(v, kind) for v in validators)


def _bounded(validators, kind, limit) -> bool:
    """Whether a Max/MinValueValidator at least as tight as ``limit`` is there (django-filter's is 1e50)."""
    for v in validators:
        if not (isinstance(v, kind) and isinstance(v.limit_value, int | float)):
            continue
        if (v.limit_value <= limit) if kind is MaxValueValidator else (v.limit_value >= limit):
            return True
    return False


class _BoundedPks:
    """ModelMultipleChoiceField refuses ids outside 1..MAX_ID before its ``pk__in`` query (SQLite overflows)."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        if key == "pk" and self.queryset.model._meta.pk.get_internal_type() in INTEGER_PKS:
            for v in value if isinstance(value, list | tuple) else [value]:
                if v not in self.empty_values and parse_id(v) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": v}
                    )
        return super()._check_values(value)


INTEGER_PKS = {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "SmallAutoField"}
_bounded_classes: dict[type, type] = {}


def _bounded_multiple(field) -> None:
    cls = type(field)
    if cls not in _bounded_classes:
        _bounded_classes[cls] = type(f"Bounded{cls.__name__}", (_BoundedPks, cls), {})
    field.__class__ = _bounded_classes[cls]


def bound_form_fields(fields) -> None:
    """Add date and number bounds to Django form fields that have none (filters and forms alike)."""
    for f in fields.values():
        if isinstance(f, forms.ModelMultipleChoiceField) and not isinstance(f, _BoundedPks):
            _bounded_multiple(f)
        elif isinstance(f, forms.DateField | forms.DateTimeField):
            if not _has(f.validators, DateRangeValidator):
                f.validators.append(DateRangeValidator())
        elif isinstance(f, forms.IntegerField | forms.DecimalField | forms.FloatField):
            if not _bounded(f.validators, MaxValueValidator, MAX_ID):
                f.validators.append(MaxValueValidator(MAX_ID, message=_("数值过大")))
            if not _bounded(f.validators, MinValueValidator, -MAX_ID):
                f.validators.append(MinValueValidator(-MAX_ID, message=_("数值过小")))


def bound_serializer_fields(fields) -> None:
    """The same bounds for DRF serializer fields (and the children of list fields)."""
    from rest_framework import serializers

    for f in fields.values():
        if getattr(f, "read_only", False):
            continue
        target = getattr(f, "child", None) or f
        if isinstance(target, serializers.DateField | serializers.DateTimeField):
            if not _has(target.validators, DateRangeValidator):
                target.validators.append(DateRangeValidator())
        elif isinstance(target, serializers.IntegerField | serializers.DecimalField | serializers.FloatField):
            if not _bounded(target.validators, MaxValueValidator, MAX_ID):
                target.validators.append(MaxValueValidator(MAX_ID, message=_("数值过大")))
            if not _bounded(target.validators, MinValueValidator, -MAX_ID):
                target.validators.append(MinValueValidator(-MAX_ID, message=_("数值过小")))
