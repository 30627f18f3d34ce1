from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.views import View

from safeserve.core.scoping import get_visible_or_404

from .models import ServiceVisit


class VisitNoticeView(LoginRequiredMixin, View):
    """隐患整改通知书 for every hazard found on one visit."""

    def get(self, request, pk):
        from safeserve.hazards.documents import rectification_notice_pdf
        from safeserve.hazards.models import Hazard

        visit = get_visible_or_404(ServiceVisit.objects.select_related("enterprise", "agency"), request.user, pk=pk)
        hazards = Hazard.objects.visible_to(request.user).filter(visit=visit).select_related("criterion").order_by("id")
        if not hazards:
            raise Http404
        pdf = rectification_notice_pdf(
            enterprise=visit.enterprise,
            hazards=hazards,
            issuer=str(request.user),
            issuer_org=visit.agency.name,
            visit=visit,
        )
        resp = HttpResponse(pdf, content_type="application/pdf")
        resp["Content-Disposition"] = f'inline; filename="notice-visit-{visit.pk}.pdf"'
        return resp
