from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.excel import export_queryset
from safeserve.core.views import Column, ObjectConfig, bad_input, mark_download
from safeserve.registry.models import Enterprise

from . import filters, forms, queries
from .models import CoverageTarget

TARGET = ObjectConfig(
    model=CoverageTarget,
    filterset=filters.TargetFilterSet,
    form=forms.TargetForm,
    columns=[
        Column("year", sort="year", link=True),
        Column("town"),
        Column("kind", sort="kind"),
        Column("code"),
        Column("name"),
        Column("share", sort="share"),
    ],
    detail_fields=list(CoverageTarget.FIELDS),
    select_related=("town", "industry"),
    ordering=("-year", "town__sort_order", "kind", "code"),
)
CONFIGS = {"coveragetarget": (TARGET, "targets")}

WORK_COLUMNS = [
    ("name", _l("单位名称")),
    ("credit_code", _l("统一社会信用代码")),
    ("town", _l("镇（街道）")),
    ("village", _l("村（社区）")),
    ("industry", _l("行业")),
    ("risk_level", _l("风险等级")),
    ("size_class", _l("规模")),
    ("is_village_small", _l("村级小微企业")),
    ("address", _l("地址")),
]
PER_PAGE = 50


def _require(user):
    if not user.has_perm("coverage.view_coverage"):
        raise PermissionDenied


def _query(form, **extra) -> str:
    d = {k: v for k, v in form.data.items() if v not in ("", None) and k != "page"}
    d.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(d)


class OverviewView(LoginRequiredMixin, View):
    """County → town → village: each target's figure, the target and the gap, as of a date."""

    def get(self, request):
        _require(request.user)
        form = forms.CoverageForm(request.GET, user=request.user)
        if not form.is_valid():
            return bad_input(request, form)
        d = form.cleaned_data
        area = queries.area_for(
            request.user,
            town_id=d["town"].pk if d.get("town") else None,
            village_id=d["village"].pk if d.get("village") else None,
        )
        data = queries.coverage(area, d["as_of"])
        as_of = d["as_of"].isoformat()
        for row in data["rows"]:
            if area.level == "county":
                row.url = "?" + urlencode({"town": row.id, "as_of": as_of})
            elif row.id is not None:
                row.url = "?" + urlencode({"town": area.town.pk, "village": row.id, "as_of": as_of})
        area_query = {"as_of": as_of}
        if area.town:
            area_query["town"] = area.town.pk
        if area.village:
            area_query["village"] = area.village.pk
        up = None
        if area.village:
            up = "?" + urlencode({"town": area.town.pk, "as_of": as_of})
        elif area.town and request.user.role == "county":
            up = "?" + urlencode({"as_of": as_of})
        return render(
            request,
            "coverage/overview.html",
            {
                **data,
                "form": form,
                "channels": queries.channel_labels(),
                "up_url": up,
                "trend_url": reverse("coverage:trend") + "?" + urlencode({**area_query, "months": 36}),
                "work_url": reverse("coverage:work_list") + "?" + urlencode(area_query),
                "child_label": _("镇（街道）") if area.level == "county" else _("村（社区）"),
                "can_edit_targets": request.user.has_perm("coverage.change_coveragetarget"),
            },
        )


class TrendView(LoginRequiredMixin, View):
    """The chart's data: each target's figure at every month's end, up to 36 months (JSON)."""

    def get(self, request):
        _require(request.user)
        form = forms.TrendForm(request.GET, user=request.user)
        if not form.is_valid():
            return JsonResponse(
                {"errors": form.errors.get_json_data()}, status=400, json_dumps_params={"ensure_ascii": False}
            )
        d = form.cleaned_data
        area = queries.area_for(
            request.user,
            town_id=d["town"].pk if d.get("town") else None,
            village_id=d["village"].pk if d.get("village") else None,
        )
        data = queries.trend(area, d.get("months") or 12, d["as_of"])
        return JsonResponse({"area": area.name, **data})


class WorkListView(LoginRequiredMixin, View):
    """The enterprises that do not participate on the date: filterable, paginated, exportable."""

    def get(self, request):
        _require(request.user)
        form = forms.WorkListForm(request.GET, user=request.user)
        if not form.is_valid():
            return bad_input(request, form)
        as_of = form.cleaned_data["as_of"]
        qs = queries.work_list(request.user, as_of, **form.filters())
        if "download" in request.GET:
            title = _("未参与社会化服务企业清单")
            conditions = [
                (str(form.fields[k].label), str(v))
                for k, v in form.cleaned_data.items()
                if k != "as_of" and v not in (None, "")
            ]
            resp = export_queryset(
                qs,
                WORK_COLUMNS,
                request.user,
                title,
                title,
                conditions=conditions,
                period=_("截至 %(d)s") % {"d": as_of.isoformat()},
                ascii_name="coverage-work-list",
            )
            return mark_download(request, resp)
        page = Paginator(qs.values_list("pk", flat=True), PER_PAGE).get_page(request.GET.get("page"))
        # The page's rows by id: the participation test ran once, in the query that paged the ids.
        ids = list(page.object_list)
        by_pk = Enterprise.objects.select_related("town", "village", "industry").in_bulk(ids)
        page.object_list = [by_pk[pk] for pk in ids if pk in by_pk]
        can_contract = request.user.has_perm("services.add_servicecontract")
        add_url = reverse("services:servicecontract_add")
        rows = [
            (e, f"{add_url}?{urlencode({'enterprise_codes': e.credit_code})}" if can_contract else None)
            for e in page.object_list
        ]
        query = _query(form)
        return render(
            request,
            "coverage/work_list.html",
            {
                "form": form,
                "page": page,
                "rows": rows,
                "as_of": as_of,
                "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
                "querystring": query,
                "export_url": "?" + (query + "&" if query else "") + "download=1",
                "channels": queries.channel_labels(),
            },
        )
