"""The form renderer (settings.FORM_RENDERER): Django's, with selects written in Python.

Django renders a ``<select>`` through a template that includes a second template for every
``<option>`` (and a third for each one's attributes). A filter form with the county's villages and
industries (~200 options) or the phone visit form with an agency's enterprises spent a third of the
page's CPU there (docs/benchmarks.md, "Page CPU"). This renderer writes exactly the markup those
templates write (core/tests/test_renderers.py compares them), and leaves every other widget, and
any select whose templates an app overrides, to Django.
"""

from functools import cached_property

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
ATTRS = "django/forms/widgets/attrs.html"


def _text(value) -> str:
    """``{{ value }}`` in a template: local time, localised, then escaped unless already safe."""
    return conditional_escape(str(localize(template_localtime(value))))


def _fmt(value) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe, escapes anything else."""
    text = str(value)  # stringformat:"s" is "%s" % value, a tuple as str(tuple)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_fmt(value)}"')
    return "".join(out)


class Renderer(DjangoTemplates):
    @cached_property
    def django_own(self) -> bool:
        """Whether the select templates in use are Django's own (no app overrides them): only
        then is the markup below theirs."""
        own = ("django/forms/templates/" + name for name in (SELECT, OPTION, ATTRS))
        return all(
            str(self.get_template(name).origin.name).replace("\\", "/").endswith(path)
            for name, path in zip((SELECT, OPTION, ATTRS), own, strict=True)
        )

    def render(self, template_name, context, request=None):
        if template_name == SELECT and self.django_own:
            html = self.select(context["widget"])
            if html is not None:
                return mark_safe(html)
        return super().render(template_name, context, request)

    @staticmethod
    def select(widget) -> str | None:
        parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option in options:
                if option["template_name"] != OPTION:
                    return None  # a custom option template: Django renders the whole select
                parts.append(
                    f'\n  <option value="{_fmt(option["value"])}"'
                    f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts).strip()
