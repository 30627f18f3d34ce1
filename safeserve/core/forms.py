"""Form base: choices limited to what the user may see; the action, not the form, saves."""

from django import forms
from django.db import models


class ScopedModelForm(forms.ModelForm):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
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
