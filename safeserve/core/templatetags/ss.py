from django import template
from django.utils.html import format_html

from safeserve.core.colours import Tone
from safeserve.core.display import actor_label, field_label, linked_name

register = template.Library()


@register.simple_tag
def column_label(model, column):
    return column.label or field_label(model, column.name)


@register.filter
def badge(text, tone):
    """``{{ text|badge:tone }}``: a ``Tone`` (core/colours.py) paints the badge in its one colour;
    a string is a Bootstrap contextual colour (``danger``, ``warning``…)."""
    if isinstance(tone, Tone):
        return tone.badge(text)
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, text)


@register.filter
def actor(name):
    """``{{ entry.actor_name|actor }}``: 系统, 设备, 数据导入… for the platform's own actors."""
    return actor_label(name)


@register.simple_tag(takes_context=True)
def enterprise_link(context, enterprise, text=None):
    """``{% enterprise_link e %}``: the enterprise's name, linking to its 360° page (一企一档)."""
    user = context.get("user") or getattr(context.get("request"), "user", None)
    if user is None:
        return "" if enterprise is None else str(enterprise if text is None else text)
    return linked_name(enterprise, user, text)
