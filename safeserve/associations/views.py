from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.excel import Sheet, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_image
from safeserve.core.views import (
    Column,
    ObjectConfig,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectListView,
    _apply_validation_error,
    mark_download,
)
from safeserve.hazards.models import Hazard

from . import actions, filters, forms, queries
from .models import Campaign, CampaignGroup, InspectionPhoto, Membership, MutualInspection

MEMBERSHIP = ObjectConfig(
    model=Membership,
    filterset=filters.MembershipFilterSet,
    form=forms.MembershipForm,
    columns=[
        Column("enterprise", sort="enterprise__name", link=True),
        Column("association", sort="association__name"),
        Column("joined_on", sort="joined_on"),
        Column("left_on", sort="left_on"),
        Column("note"),
    ],
    detail_fields=Membership.FIELDS,
    select_related=("enterprise", "association"),
    ordering=("association", "-joined_on", "-id"),
)


def _campaign_context(request, campaign):
    progress = queries.campaign_progress([campaign])[campaign.pk]
    user = request.user
    return {
        "progress": progress,
        "groups": campaign.groups.prefetch_related("enterprises"),
        "can_inspect": queries.partners_for(user, campaign).exists(),
        "inspect_url": reverse("associations:inspection_add", args=[campaign.pk]),
    }


CAMPAIGN = ObjectConfig(
    model=Campaign,
    filterset=filters.CampaignFilterSet,
    form=forms.CampaignForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("association", sort="association__name"),
        Column("start_date", sort="start_date"),
        Column("end_date", sort="end_date"),
        Column("template"),
        Column("status", _l("状态"), badge={"planned": "secondary", "running": "success", "ended": "dark"}),
    ],
    detail_fields=(*Campaign.FIELDS, "status"),
    select_related=("association", "template", "expert"),
    ordering=("-start_date", "-id"),
    detail_template="associations/campaign_detail.html",
    detail_context=_campaign_context,
)

GROUP = ObjectConfig(
    model=CampaignGroup,
    filterset=filters.CampaignGroupFilterSet,
    form=forms.CampaignGroupForm,
    columns=[Column("name", sort="name", link=True), Column("campaign", sort="campaign__name"), Column("enterprises")],
    detail_fields=CampaignGroup.FIELDS,
    select_related=("campaign",),
    ordering=("campaign", "name", "id"),
)

INSPECTION = ObjectConfig(
    model=MutualInspection,
    filterset=filters.InspectionFilterSet,
    form=None,
    columns=[
        Column("inspected", sort="inspected__name", link=True),
        Column("inspector", sort="inspector__name"),
        Column("campaign", sort="campaign__name"),
        Column("inspected_at", sort="inspected_at"),
        Column("inspector_names"),
        Column("confirmed_at", sort="confirmed_at"),
    ],
    detail_fields=(
        "campaign",
        "group",
        "inspector",
        "inspected",
        "inspected_at",
        "inspector_names",
        "findings",
        "recorded_at",
        "confirmed_at",
        "seq",
        "content_hash",
    ),
    select_related=("campaign", "inspector", "inspected", "group"),
    ordering=("-inspected_at", "-id"),
    routes={
        "list": "associations:inspection_list",
        "export": "associations:inspection_export",
        "detail": "associations:inspection_detail",
        "add": "associations:inspection_pick",
    },
)


class MembershipEditView(ObjectEditView):
    config = MEMBERSHIP

    def make_form(self, obj, data=None, files=None):
        if obj is None:
            return forms.MembershipJoinForm(data, user=self.request.user, initial=dict(self.request.GET.items()))
        return super().make_form(obj, data, files)

    def save(self, obj, form):
        data = form.cleaned_data
        if obj is None:
            association = data.get("association")
            return actions.membership_join(
                actor=self.request.user,
                credit_code=data["credit_code"],
                joined_on=data["joined_on"],
                association_id=association.pk if association else None,
                note=data.get("note") or "",
            )
        return actions.membership_update(
            actor=self.request.user, membership=obj, left_on=data.get("left_on"), note=data.get("note") or ""
        )


class CampaignEditView(ObjectEditView):
    config = CAMPAIGN

    def save(self, obj, form):
        data, _m2m = form.action_data()
        return actions.campaign_save(actor=self.request.user, campaign=obj, data=data)


class GroupEditView(ObjectEditView):
    config = GROUP

    def save(self, obj, form):
        data, m2m = form.action_data()
        if "campaign" not in data and obj is not None:
            data["campaign"] = obj.campaign
        return actions.group_save(actor=self.request.user, group=obj, data=data, m2m=m2m)


def config_urls(config, prefix, edit_view):
    k = config.key
    return [
        path(f"{prefix}/", ObjectListView.as_view(config=config), name=f"{k}_list"),
        path(f"{prefix}/export.xlsx", ObjectExportView.as_view(config=config), name=f"{k}_export"),
        path(f"{prefix}/add/", edit_view.as_view(config=config), name=f"{k}_add"),
        path(f"{prefix}/<int:pk>/", ObjectDetailView.as_view(config=config), name=f"{k}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit_view.as_view(config=config), name=f"{k}_edit"),
        path(f"{prefix}/<int:pk>/delete/", ObjectDeleteView.as_view(config=config), name=f"{k}_delete"),
    ]


# ---------------------------------------------------------------- inspections


class InspectionPickView(LoginRequiredMixin, View):
    """A member's entry point: the running campaigns it is grouped in."""

    def get(self, request):
        if not request.user.has_perm("associations.add_mutualinspection"):
            raise PermissionDenied
        today = timezone.localdate()
        running = Campaign.objects.visible_to(request.user).filter(start_date__lte=today, end_date__gte=today)
        return render(request, "associations/inspection_pick.html", {"campaigns": running})


class InspectionCreateView(LoginRequiredMixin, View):
    """The phone form of one member inspecting another in a campaign."""

    def setup_form(self, request, pk, data=None, files=None):
        if not request.user.has_perm("associations.add_mutualinspection"):
            raise PermissionDenied
        campaign = get_visible_or_404(Campaign.objects.select_related("template"), request.user, pk=pk)
        partners = queries.partners_for(request.user, campaign)
        return campaign, forms.InspectionForm(data, files, campaign=campaign, partners=partners)

    def render(self, request, campaign, form):
        return render(request, "associations/inspection_form.html", {"form": form, "campaign": campaign})

    def get(self, request, pk):
        campaign, form = self.setup_form(request, pk)
        return self.render(request, campaign, form)

    def post(self, request, pk):
        campaign, form = self.setup_form(request, pk, request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                inspection = actions.inspection_record(
                    actor=request.user,
                    campaign=campaign,
                    inspected=d["inspected"],
                    inspected_at=d["inspected_at"],
                    inspector_names=d["inspector_names"],
                    results=form.results(),
                    findings=d.get("findings") or "",
                    photos=d.get("photos") or [],
                )
                messages.success(request, _("互查记录已保存，等待被检查企业确认"))
                return redirect(inspection.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return self.render(request, campaign, form)


def _inspection_context(request, inspection):
    links = inspection.hazard_links.values("hazard_id")
    return {
        "results": inspection.results.select_related("item"),
        "photos": inspection.photos.all(),
        "hazards": Hazard.objects.visible_to(request.user).filter(pk__in=links),
        "hazard_count": inspection.hazard_links.count(),
        "can_confirm": actions.may_confirm(request.user, inspection),
        "intact": actions.stored_digest(inspection) == inspection.content_hash,
    }


INSPECTION.detail_context = _inspection_context
INSPECTION.detail_template = "associations/inspection_detail.html"


class InspectionConfirmView(LoginRequiredMixin, View):
    def post(self, request, pk):
        inspection = get_visible_or_404(MutualInspection, request.user, pk=pk)
        try:
            actions.inspection_confirm(actor=request.user, inspection=inspection)
            messages.success(request, _("已确认互查记录"))
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(inspection.get_absolute_url())


class InspectionPhotoView(LoginRequiredMixin, View):
    def get(self, request, pk):
        photo = InspectionPhoto.objects.select_related("inspection").filter(pk=pk).first()
        inspection_id = photo.inspection_id if photo else 0
        get_visible_or_404(MutualInspection, request.user, pk=inspection_id)
        return serve_stored_image(photo.file, name=photo.name)


# ---------------------------------------------------------------- the dashboard


class DashboardView(LoginRequiredMixin, View):
    """协会看板: members' participation, their hazards while members, and campaign progress."""

    def get(self, request):
        if request.user.role not in ("association", "county") or not request.user.has_perm(
            "associations.view_membership"
        ):
            raise PermissionDenied
        boards = queries.dashboards_for(request.user)
        if request.GET.get("download"):
            return mark_download(request, self.export(boards))
        return render(request, "associations/dashboard.html", {"boards": boards})

    def export(self, boards):
        headers = [
            _("行业协会"),
            _("会员企业"),
            _("镇（街道）"),
            _("入会日期"),
            _("退会日期"),
            _("参与渠道"),
            _("会员期内隐患"),
            _("未销号"),
            _("已销号"),
            _("整改率（%）"),
        ]
        rows = [
            [
                b["association"].name,
                r["enterprise"].name,
                r["enterprise"].town.name,
                r["membership"].joined_on,
                r["membership"].left_on,
                "、".join(r["channels"]),
                r["hazards"],
                r["open"],
                r["closed"],
                r["closure"],
            ]
            for b in boards
            for r in b["rows"]
        ]
        progress_headers = [
            _("行业协会"),
            _("互查活动"),
            _("开始日期"),
            _("结束日期"),
            _("分组会员"),
            _("已接受互查"),
            _("互查记录"),
            _("已确认"),
        ]
        progress = [
            [
                b["association"].name,
                c.name,
                c.start_date,
                c.end_date,
                p["members"],
                p["inspected"],
                p["records"],
                p["confirmed"],
            ]
            for b in boards
            for c, p in b["campaigns"]
        ]
        title = _("协会看板")
        return workbook_response(
            str(title),
            [
                Sheet(_("会员"), headers, rows, heading=heading_lines(title)),
                Sheet(_("互查活动进度"), progress_headers, progress, heading=heading_lines(title)),
            ],
            ascii_name="association-dashboard",
        )
