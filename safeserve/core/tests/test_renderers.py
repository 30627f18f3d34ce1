"""The form renderer writes selects in Python: the markup must be exactly Django's own."""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from safeserve.core.renderers import Renderer
from safeserve.registry.models import Town


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "全部"), ("a", "甲 <b>&"), ("b", mark_safe("<i>乙</i>"))])
    grouped = forms.ChoiceField(choices=[("一组", [("1", "一"), ("2", "二")]), ("x", "散"), ("二组", [(3, 3000)])])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")])
    yesno = forms.NullBooleanField()
    town = forms.ModelChoiceField(queryset=Town.objects.order_by("pk"), empty_label="全部")
    attrs = forms.ChoiceField(
        choices=[("q", '"引号"')],
        widget=forms.Select(attrs={"class": "form-select", "data-x": '"<>', "disabled": True, "hidden": False}),
    )
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)


def _render(form, renderer):
    form.renderer = renderer
    return {name: str(form[name]) for name in form.fields}


def test_selects_are_djangos_markup(world):
    for data in (None, {"plain": "a", "grouped": "2", "many": ["a", "c"], "yesno": "true", "town": world["town_a"].pk}):
        ours = _render(Sample(data), Renderer())
        django = _render(Sample(data), DjangoTemplates())
        assert ours == django
    assert "<option" in ours["town"] and "selected" in ours["town"]


def test_selects_are_written_in_python(monkeypatch):
    """The fast path is taken (a broken one would show here, not only in the timings)."""
    renderer = Renderer()
    calls = []
    monkeypatch.setattr(DjangoTemplates, "render", lambda self, name, *a, **k: calls.append(name) or "")
    form = Sample()
    form.renderer = renderer
    html = str(form["plain"])
    assert calls == [] and html.startswith('<select name="plain"')
    str(form["radio"])  # any other widget is Django's
    assert calls == ["django/forms/widgets/radio.html"]
