"""Form base: choices limited to what the user may see; fields the user's role may not write are
disabled, and a forged value for one is an error (never silently dropped); the action, not the
form, saves."""

import copy

from django import forms
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import uploads
from .fieldperms import writable_fields_for
from .identity import normalize_code
from .validation import bound_form_fields

DASHES = "---------"


def label_empty_choices(fields) -> None:
    """The empty choice of every select reads 请选择, never Django's "---------" (filters say 全部:
    core.filters.ScopedFilterSet). Every form of the project gets this through its base class."""
    for field in fields.values():
        if isinstance(field, forms.ModelChoiceField) and field.empty_label is not None:
            field.empty_label = gettext_lazy("请选择")
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices = list(field.choices)
            if any(value == "" and label == DASHES for value, label in choices):
                field.choices = [
                    (v, gettext_lazy("请选择") if v == "" and lbl == DASHES else lbl) for v, lbl in choices
                ]


class EmptyChoiceLabelMixin:
    """Relabels the empty choice when a field is rendered (``form[name]``, ``{% for f in form %}``),
    so fields a form adds or replaces after ``__init__`` are covered too."""

    def __getitem__(self, name):
        field = self.fields.get(name)
        if field is not None:
            label_empty_choices({name: field})
        return super().__getitem__(name)


def style_widgets(fields) -> None:
    """Bootstrap's classes on every widget that has none: a select or input without them keeps its
    natural width (the longest option) and pushes a phone page sideways."""
    for field in fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select | forms.SelectMultiple) else "form-control"
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            css = "form-check-input"
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
            css = ""
        if css:
            widget.attrs.setdefault("class", css)


class BoundedForm(EmptyChoiceLabelMixin, forms.Form):
    """A plain form whose dates and numbers stay within core.validation's bounds, styled for Bootstrap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_form_fields(self.fields)
        style_widgets(self.fields)


class ScopedModelForm(EmptyChoiceLabelMixin, forms.ModelForm):
    # Form fields that stand for a model field of another name (e.g. "member_codes" -> "members").
    field_sources: dict[str, str] = {}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.locked_fields = self._lock_fields(user)
        bound_form_fields(self.fields)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                related = field.queryset.model
                if hasattr(related.objects, "visible_to"):
                    field.queryset = related.objects.visible_to(user).order_by(*related._meta.ordering or ["pk"])
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select | forms.SelectMultiple) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            if isinstance(widget, forms.CheckboxSelectMultiple):
                css = ""
            if css:
                widget.attrs.setdefault("class", css)
        for name in self.locked_fields:
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField):
                # A locked choice shows (and validates) only its current value, whatever the user may see.
                current = self.get_initial_for_field(field, name)
                pks = [getattr(v, "pk", v) for v in current] if isinstance(current, list | tuple) else [current]
                field.queryset = field.queryset.model._default_manager.filter(pk__in=[p for p in pks if p])

    def _lock_fields(self, user) -> list[str]:
        """Disable the fields ``user`` may not write (core.fieldperms); returns their names."""
        if user is None:
            self.writable = None
            return []
        model = self._meta.model
        allowed = self.writable = writable_fields_for(user, model, self.instance if self.instance.pk else None)
        locked = []
        for name, field in self.fields.items():
            source = self.field_sources.get(name, name)
            try:
                model._meta.get_field(source)
            except FieldDoesNotExist:
                continue
            if source not in allowed:
                field.disabled = True
                locked.append(name)
        return locked

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name in self.locked_fields:
            if name not in self.fields:  # a subclass removed it after locking
                continue
            key = self.add_prefix(name)
            if key not in self.data and key not in self.files:
                continue  # a browser does not post a disabled field
            field = copy.copy(self.fields[name])
            field.disabled = False
            posted = field.widget.value_from_datadict(self.data, self.files, key)
            if field.has_changed(self[name].initial, posted):
                self.add_error(name, _("您无权修改「%(field)s」") % {"field": field.label})
        self._refuse_unoffered_fields()

    def _refuse_unoffered_fields(self):
        """A posted model field the form does not offer and the user may not write is an error too."""
        if self.writable is None or self.prefix:
            return
        model = self._meta.model
        offered = set(self.fields) | {self.field_sources.get(n, n) for n in self.fields}
        for key in self.data:
            if key in offered or key in self.writable:
                continue
            try:
                field = model._meta.get_field(key)
            except FieldDoesNotExist:
                continue
            if getattr(field, "editable", False) and not field.auto_created:
                self.add_error(None, _("您无权修改「%(field)s」") % {"field": field.verbose_name})

    def action_data(self):
        """(field values, many-to-many values) for ``create_record`` / ``update_record``."""
        data, m2m = {}, {}
        model_fields = {f.name: f for f in self._meta.model._meta.get_fields()}
        for name, value in self.cleaned_data.items():
            f = model_fields.get(name)
            if f is None:
                continue
            if isinstance(f, models.ManyToManyField):
                m2m[name] = list(value)
            else:
                data[name] = value
        return data, m2m


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Any number of photos, each checked by content and re-encoded (core/uploads.py).

    Cleans to a list of ``VerifiedImage``; a refused file is a field error naming the file and why.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": uploads.ACCEPT, "capture": "environment", "class": "form-control form-control-lg"}
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return uploads.verify_images(files)


class EnterpriseByCodeField(forms.ModelChoiceField):
    """Pick an enterprise by its credit code: a select of 200,000 names is of no use to anyone.

    The model is named, not imported: core sits below registry in the layers. Forms narrow
    ``queryset`` to what the user may see.
    """

    widget = forms.TextInput
    # One answer for "no such code" and "not yours": the field never tells whose code it is.
    default_error_messages = {
        "invalid_choice": gettext_lazy("未找到该统一社会信用代码的企业，或该企业不在您的数据范围内")
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", gettext_lazy("填写统一社会信用代码"))
        super().__init__(
            queryset=apps.get_model("registry", "Enterprise").objects.none(), to_field_name="credit_code", **kwargs
        )

    def to_python(self, value):
        if isinstance(value, int):  # the stored value of a disabled field is a primary key
            value = self.prepare_value(value)
        return super().to_python(normalize_code(value) if value else value)

    def prepare_value(self, value):
        if isinstance(value, int):
            return self.queryset.model.objects.filter(pk=value).values_list("credit_code", flat=True).first() or ""
        return super().prepare_value(value)
