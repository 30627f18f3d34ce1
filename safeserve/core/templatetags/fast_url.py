"""``{% url %}`` with integer arguments through ``core.fasturl`` (same output, no resolver walk per row).

Loaded as a template builtin (settings.TEMPLATES OPTIONS "builtins"), after Django's own tags, so it
replaces ``url`` in every template; any other use (keyword arguments, text arguments, ``as var`` of a
missing route) is Django's tag unchanged.
"""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape

from safeserve.core.fasturl import _fill, _shape, eligible

register = template.Library()


class FastURLNode(URLNode):
    def render(self, context):
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        if not eligible(args):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        parts = _shape(view_name, len(args), get_urlconf(), get_script_prefix(), current_app)
        if parts is None:
            return super().render(context)
        url = _fill(parts, args)
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return FastURLNode(node.view_name, node.args, node.kwargs, node.asvar)
