from django import template

from safeserve.core.display import field_label

register = template.Library()


@register.simple_tag
def column_label(model, column):
    return column.label or field_label(model, column.name)
