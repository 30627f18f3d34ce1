import tempfile

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from safeserve.core.excel import Sheet, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.views import (
    Column,
    ObjectConfig,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectListView,
    mark_download,
)
from safeserve.registry.models import Enterprise

from . import actions, filters, forms, queries
from .choices import KEY_ROLES, PersonRole
from .models import Attendance, Certificate, Course, TrainingSession

COURSE = ObjectConfig(
    model=Course,
    filterset=filters.CourseFilterSet,
    form=forms.CourseForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("provider", sort="provider__name"),
        Column("course_type", sort="course_type"),
        Column("hours", sort="hours"),
        Column("is_active"),
    ],
    detail_fields=Course.FIELDS,
    select_related=("provider",),
    ordering=("provider", "name"),
)

SESSION = ObjectConfig(
    model=TrainingSession,
    filterset=filters.SessionFilterSet,
    form=forms.SessionForm,
    columns=[
        Column("course", sort="course__name", link=True),
        Column("date", sort="date"),
        Column("place"),
        Column("trainer"),
    ],
    detail_fields=TrainingSession.FIELDS,
    select_related=("course", "course__provider"),
    ordering=("-date", "-id"),
    detail_template="training/session_detail.html",
)

ATTENDANCE = ObjectConfig(
    model=Attendance,
    filterset=filters.AttendanceFilterSet,
    form=forms.AttendanceForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("id_number"),
        Column("enterprise", sort="enterprise__name"),
        Column("person_role", sort="person_role"),
        Column("session", sort="session__date"),
        Column("hours", sort="hours"),
    ],
    detail_fields=Attendance.FIELDS,
    select_related=("enterprise", "session", "session__course"),
    ordering=("-id",),
)

CERTIFICATE = ObjectConfig(
    model=Certificate,
    filterset=filters.CertificateFilterSet,
    form=forms.CertificateForm,
    columns=[
        Column("holder_name", sort="holder_name", link=True),
        Column("id_number"),
        Column("enterprise", sort="enterprise__name"),
        Column("kind", sort="kind"),
        Column("number"),
        Column("valid_until", sort="valid_until"),
        Column("provider"),
    ],
    detail_fields=Certificate.FIELDS,
    select_related=("enterprise", "provider"),
    ordering=("valid_until", "id"),
)


class RecordEditView(ObjectEditView):
    def save(self, obj, form):
        data, m2m = form.action_data()
        return actions.record_save(actor=self.request.user, model=self.config.model, instance=obj, data=data, m2m=m2m)


def config_urls(config, prefix):
    k = config.key
    return [
        path(f"{prefix}/", ObjectListView.as_view(config=config), name=f"{k}_list"),
        path(f"{prefix}/export.xlsx", ObjectExportView.as_view(config=config), name=f"{k}_export"),
        path(f"{prefix}/add/", RecordEditView.as_view(config=config), name=f"{k}_add"),
        path(f"{prefix}/<int:pk>/", ObjectDetailView.as_view(config=config), name=f"{k}_detail"),
        path(f"{prefix}/<int:pk>/edit/", RecordEditView.as_view(config=config), name=f"{k}_edit"),
        path(f"{prefix}/<int:pk>/delete/", ObjectDeleteView.as_view(config=config), name=f"{k}_delete"),
    ]


def _session_context(request, session):
    user = request.user
    can = TrainingSession.objects.visible_to(user, "change").filter(pk=session.pk).exists()
    rows = Attendance.objects.visible_to(user).filter(session=session).select_related("enterprise").order_by("id")
    return {
        "import_url": reverse("training:attendance_import", args=[session.pk]) if can else None,
        "add_url": reverse("training:attendance_add") + f"?session={session.pk}" if can else None,
        "attendances": rows[:500],
    }


SESSION.detail_context = _session_context


class AttendanceImportView(LoginRequiredMixin, View):
    """The provider imports a session's attendance from .xlsx: all rows or none, errors by row."""

    def session(self, request, pk):
        session = get_visible_or_404(TrainingSession.objects.select_related("course"), request.user, "change", pk=pk)
        if not request.user.has_perm("training.add_attendance"):
            raise PermissionDenied
        return session

    def get(self, request, pk):
        session = self.session(request, pk)
        if request.GET.get("template"):
            return workbook_response(
                str(_("培训记录导入模板")),
                [Sheet(str(_("培训记录")), actions.template_rows(), [])],
                ascii_name="attendance-template",
            )
        return render(request, "training/import.html", {"session": session, "form": forms.ImportForm()})

    def post(self, request, pk):
        session = self.session(request, pk)
        form = forms.ImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
                for chunk in upload.chunks():
                    tmp.write(chunk)
                tmp.flush()
                try:
                    created = actions.attendance_import(actor=request.user, session=session, path=tmp.name)
                except actions.ImportRefused as exc:
                    errors = [str(e) for e in exc.errors]
                else:
                    messages.success(request, _("已导入培训记录 %(n)d 条") % {"n": len(created)})
                    return redirect(session.get_absolute_url())
        return render(request, "training/import.html", {"session": session, "form": form, "errors": errors}, status=200)


class StatusView(LoginRequiredMixin, View):
    """One enterprise's key people against the required hours and their certificates' expiry."""

    def get(self, request, pk=None):
        user = request.user
        if pk is None and user.role == "agency" and user.has_perm("training.view_attendance"):
            return redirect("training:attendance_list")  # a provider's menu entry leads to its trainees
        if not queries.may_view_status(user):
            raise PermissionDenied
        if pk is None:
            if user.role != "enterprise":
                return redirect("training:overview")
            pk = user.enterprise_id
        enterprise = get_visible_or_404(Enterprise.objects.select_related("industry", "town"), user, pk=pk)
        rows = queries.training_status([enterprise])[enterprise.pk]
        initial, yearly = queries.required_hours(enterprise)
        return render(
            request,
            "training/status.html",
            {
                "enterprise": enterprise,
                "rows": queries.person_rows(user, rows),
                "high_risk": queries.is_high_risk(enterprise),
                "initial": initial,
                "yearly": yearly,
            },
        )


class OverviewView(LoginRequiredMixin, View):
    """Town/county: enterprises whose principals, safety managers or special workers are untrained or expired."""

    def get(self, request):
        user = request.user
        if not queries.may_view_status(user) or user.role == "enterprise":
            raise PermissionDenied
        rows = queries.flagged_enterprises(user)
        if request.GET.get("download"):
            headers = [
                _("企业"),
                _("镇（街道）"),
                _("高危行业"),
                *[str(PersonRole(r).label) for r in KEY_ROLES],
                _("问题"),
            ]
            data = [
                [
                    r["enterprise"].name,
                    r["enterprise"].town.name,
                    _("是") if r["high_risk"] else _("否"),
                    *[r["counts"][role] for role in KEY_ROLES],
                    "；".join(f"{p.get_role_display()}{p.name}：{p.get_status_display()}" for p in r["bad"]),
                ]
                for r in rows
            ]
            title = _("关键人员培训未达标企业")
            return mark_download(
                request,
                workbook_response(
                    str(title), [Sheet(str(title), headers, data, heading_lines(title))], ascii_name="training-overview"
                ),
            )
        return render(request, "training/overview.html", {"rows": rows[:500], "total": len(rows), "roles": KEY_ROLES})
