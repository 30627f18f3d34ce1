"""Excel roster import pages. PLACEHOLDER: being implemented (import helper replaces this file)."""

from django.http import Http404
from django.views import View


class ImportView(View):
    kind = None

    def dispatch(self, request, *args, **kwargs):
        raise Http404


class TemplateView(ImportView):
    pass
