"""Assessment pages: thin — parse, call an action or a query, render."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.excel import Sheet as XlsxSheet
from safeserve.core.excel import heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_document
from safeserve.core.views import mark_download

from . import actions, documents, forms, queries, transitions
from .choices import ObjectionState, Subject
from .models import Assessment, Objection, ObjectionFile, Scheme, Sheet


def _errors(exc) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(getattr(exc, "messages", [str(exc)]))


def _side_action(request, *, back: str, run, success, form=None):
    """Check the form, run the action, say what happened (or why not, in Chinese), go back."""
    if form is not None and not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(back)
    try:
        run(form.cleaned_data if form is not None else None)
        messages.success(request, success)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    return redirect(back)


def _need(user, perm):
    if not user.has_perm(perm):
        raise PermissionDenied


# ---------------------------------------------------------------- schemes


class SchemeListView(LoginRequiredMixin, View):
    def get(self, request):
        _need(request.user, "assessment.view_scheme")
        schemes = queries.schemes_for(request.user)
        if "download" in request.GET:
            title = _("考核方案")
            headers = [_("年度"), _("方案名称"), _("考核对象"), _("版本"), _("指标数")]
            rows = ([s.year, s.name, s.get_subject_display(), s.version, len(s.indicators.all())] for s in schemes)
            sheet = XlsxSheet(title, headers, rows, heading_lines(title))
            return mark_download(request, workbook_response(title, [sheet], ascii_name="assessment-schemes"))
        return render(
            request,
            "assessment/scheme_list.html",
            {
                "schemes": schemes,
                "export_url": "?download=1",
                "can_add": request.user.has_perm("assessment.add_scheme"),
            },
        )


class SchemeDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        scheme = get_visible_or_404(Scheme, request.user, pk=pk)
        return render(
            request,
            "assessment/scheme_detail.html",
            {
                "scheme": scheme,
                "indicators": scheme.indicators.all(),
                "can_change": Scheme.objects.visible_to(request.user, "change").filter(pk=pk).exists(),
            },
        )


class SchemeEditView(LoginRequiredMixin, View):
    """New scheme, or a change (a new version when an assessment already uses it). All or nothing."""

    def scheme(self, pk):
        if pk is None:
            if not self.request.user.has_perm("assessment.add_scheme"):
                raise PermissionDenied
            return None
        return get_visible_or_404(Scheme, self.request.user, "change", pk=pk)

    def get(self, request, pk=None):
        scheme = self.scheme(pk)
        if scheme is None:
            form = forms.SchemeForm()
            formset = forms.IndicatorFormSet(prefix="ind")
        else:
            form = forms.SchemeForm(
                initial={"subject": scheme.subject, "year": scheme.year, "name": scheme.name, "note": scheme.note}
            )
            formset = forms.IndicatorFormSet(prefix="ind", initial=forms.indicator_initial(scheme))
        return self.render(scheme, form, formset)

    def render(self, scheme, form, formset, status=200):
        return render(
            self.request,
            "assessment/scheme_form.html",
            {"scheme": scheme, "form": form, "formset": formset},
            status=status,
        )

    def post(self, request, pk=None):
        scheme = self.scheme(pk)
        form = forms.SchemeForm(request.POST)
        formset = forms.IndicatorFormSet(request.POST, prefix="ind")
        if not (form.is_valid() and formset.is_valid()):
            return self.render(scheme, form, formset, status=400)
        try:
            saved = actions.scheme_save(
                actor=request.user, scheme=scheme, data=form.cleaned_data, indicators=formset.rows()
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
            return self.render(scheme, form, formset, status=400)
        if scheme is not None and saved.pk != scheme.pk:
            messages.success(request, _("该方案已被考核使用，修改已保存为新版本（第%(v)d版）") % {"v": saved.version})
        else:
            messages.success(request, _("考核方案已保存"))
        return redirect(saved.get_absolute_url())


# ---------------------------------------------------------------- assessments


# What each subject kind's pages are called (the engine is the same: docs/decisions/0030, 0043).
KIND_TEXT = {
    Subject.TOWN: {
        "list": "assessment:assessment_list",
        "menu": _l("乡镇考核"),
        "title": _l("乡镇安全生产社会化服务考核"),
        "column": _l("镇（街道）"),
        "open": _l("发起年度考核"),
        "opened": _l("考核已发起，数据已冻结，已通知各镇（街道）"),
        "ascii": "assessments",
    },
    Subject.AGENCY: {
        "list": "assessment:agency_list",
        "menu": _l("机构年度考评"),
        "title": _l("服务机构年度考评"),
        "column": _l("服务机构"),
        "open": _l("发起年度考评"),
        "opened": _l("考评已发起，数据已冻结，已通知各服务机构"),
        "ascii": "agency-gradings",
    },
}


def kind_text(subject) -> dict:
    return KIND_TEXT.get(subject, KIND_TEXT[Subject.TOWN])


class AssessmentListView(LoginRequiredMixin, View):
    subject = Subject.TOWN

    def get(self, request):
        _need(request.user, "assessment.view_assessment")
        assessments = queries.assessments_for(request.user).filter(subject=self.subject)
        text = kind_text(self.subject)
        if "download" in request.GET:
            title = str(text["title"])
            headers = [_("年度"), _("名称"), _("数据截止日"), _("异议截止日"), _("状态")]
            rows = ([a.year, a.title, a.cut_off, a.objection_deadline, a.get_state_display()] for a in assessments)
            sheet = XlsxSheet(title, headers, rows, heading_lines(title))
            return mark_download(request, workbook_response(title, [sheet], ascii_name=text["ascii"]))
        county = request.user.has_perm("assessment.add_assessment")
        year = timezone.localdate().year
        return render(
            request,
            "assessment/assessment_list.html",
            {
                "assessments": assessments,
                "export_url": "?download=1",
                "can_open": county,
                "subject": self.subject,
                "text": text,
                "default_year": year,
                "can_default": self.subject == Subject.AGENCY
                and request.user.has_perm("assessment.add_scheme")
                and not Scheme.objects.filter(subject=Subject.AGENCY, year=year).exists(),
            },
        )


class AgencySchemeDefaultView(LoginRequiredMixin, View):
    """创建默认考评方案: this year's copy of the default agency scheme (assessment/defaults.py)."""

    def post(self, request):
        _need(request.user, "assessment.add_scheme")
        try:
            scheme = actions.agency_scheme_default(actor=request.user, year=timezone.localdate().year)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
            return redirect("assessment:agency_list")
        messages.success(request, _("已按默认方案创建本年度服务机构考评方案，可在方案页修改"))
        return redirect(scheme.get_absolute_url())


class AssessmentOpenView(LoginRequiredMixin, View):
    def subject(self, request):
        value = request.POST.get("subject") or request.GET.get("subject")
        return value if value in (Subject.TOWN, Subject.AGENCY) else Subject.TOWN

    def page(self, request, form, subject, status=200):
        return render(
            request,
            "assessment/open_form.html",
            {"form": form, "subject": subject, "text": kind_text(subject)},
            status=status,
        )

    def get(self, request):
        _need(request.user, "assessment.add_assessment")
        subject = self.subject(request)
        return self.page(request, forms.OpenForm(user=request.user, subject=subject), subject)

    def post(self, request):
        _need(request.user, "assessment.add_assessment")
        subject = self.subject(request)
        form = forms.OpenForm(request.POST, user=request.user, subject=subject)
        if form.is_valid():
            d = form.cleaned_data
            try:
                a = actions.assessment_open(
                    actor=request.user, scheme=d["scheme"], cut_off=d["cut_off"], title=d["title"]
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, kind_text(a.subject)["opened"])
                return redirect(a.get_absolute_url())
        return self.page(request, form, subject, status=400)


class AssessmentDetailView(LoginRequiredMixin, View):
    """The ranking: every town for the county (table and bar chart); a town its own rank and sheet."""

    def get(self, request, pk):
        a = get_visible_or_404(Assessment.objects.select_related("scheme"), request.user, pk=pk)
        county = request.user.has_perm("assessment.change_assessment")
        data = queries.ranking(request.user, a)
        return render(
            request,
            "assessment/assessment_detail.html",
            {
                "assessment": a,
                "text": kind_text(a.subject),
                "ranking": data,
                "county": county,
                "chart": data["chart"] if county else None,
                "can_finalise": transitions.allowed(request.user, a, "finalise")
                and timezone.localdate() > a.objection_deadline,
                "pending": queries.pending_objections(a) if county else 0,
            },
        )


class AssessmentFinaliseView(LoginRequiredMixin, View):
    def post(self, request, pk):
        a = get_visible_or_404(Assessment, request.user, pk=pk)
        return _side_action(
            request,
            back=a.get_absolute_url(),
            run=lambda _d: actions.assessment_finalise(actor=request.user, assessment=a),
            success=_("考核已定稿，结果已锁定"),
        )


class AssessmentVerifyView(LoginRequiredMixin, View):
    """Recompute the result from the frozen inputs and say whether it matches what is stored."""

    def get(self, request, pk):
        a = get_visible_or_404(Assessment, request.user, "change", pk=pk)
        return render(request, "assessment/verify.html", {"assessment": a, "problems": actions.verify_assessment(a)})


def _sheets_and_scores(user, a):
    sheets = list(queries.sheets_for(user, a))
    return sheets, {s.pk: list(queries.scores_of(user, s)) for s in sheets}


class AssessmentExportView(LoginRequiredMixin, View):
    """.xlsx: the ranking and one sheet per town (the county); a town its own sheet only."""

    def get(self, request, pk):
        a = get_visible_or_404(Assessment, request.user, pk=pk)
        sheets, scores = _sheets_and_scores(request.user, a)
        count = a.sheets.count()
        heading = heading_lines(a.title, [(_("数据截止日"), a.cut_off.isoformat()), (_("状态"), a.get_state_display())])
        books = [
            XlsxSheet(
                _("排名"),
                [_("排名"), _("考核对象"), _("总分"), _("等次"), _("一票否决")],
                [
                    [s.rank, s.subject_label, s.total, s.get_grade_display(), _("是") if s.vetoed else ""]
                    for s in sheets
                ],
                heading + [_("共 %(n)d 个考核对象") % {"n": count}],
            )
        ]
        for s in sheets:
            books.append(
                XlsxSheet(
                    s.subject_label,
                    [
                        _("指标"),
                        _("分值"),
                        _("数据来源"),
                        _("数值"),
                        _("规则得分"),
                        _("最终得分"),
                        _("调整理由"),
                        _("依据记录数"),
                    ],
                    [
                        [
                            sc.indicator.name,
                            sc.indicator.weight,
                            sc.indicator.source_label,
                            queries.figure_text(sc),
                            sc.computed,
                            sc.final,
                            sc.adjust_reason,
                            sc.record_count,
                        ]
                        for sc in scores[s.pk]
                    ],
                    [
                        f"{s.subject_label}：{_('总分')} {s.total}，{_('等次')} {s.get_grade_display()}，"
                        f"{_('排名')} {s.rank}/{count}"
                    ],
                )
            )
        return workbook_response(a.title, books, ascii_name=f"assessment-{a.year}")


class AssessmentReportView(LoginRequiredMixin, View):
    """The report in Chinese (PDF): the ranking and each sheet the reader may see."""

    def get(self, request, pk):
        a = get_visible_or_404(Assessment, request.user, pk=pk)
        sheets, scores = _sheets_and_scores(request.user, a)
        pdf = documents.render_report_pdf(assessment=a, sheets=sheets, scores_by_sheet=scores, count=a.sheets.count())
        resp = HttpResponse(pdf, content_type="application/pdf")
        name = f"{a.title}.pdf"
        resp["Content-Disposition"] = f"inline; filename=\"assessment-{a.pk}.pdf\"; filename*=UTF-8''{quote(name)}"
        resp["X-Content-Type-Options"] = "nosniff"
        return resp


# ---------------------------------------------------------------- a sheet


class SheetDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        sheet = get_visible_or_404(Sheet.objects.select_related("assessment"), request.user, pk=pk)
        a = sheet.assessment
        scores = list(queries.scores_of(request.user, sheet))
        for sc in scores:
            sc.figure = queries.figure_text(sc)
        return render(
            request,
            "assessment/sheet_detail.html",
            {
                "sheet": sheet,
                "assessment": a,
                "text": kind_text(a.subject),
                "scores": scores,
                "count": a.sheets.count(),
                "radar": queries.radar(scores),
                "can_object": transitions.allowed(request.user, a, "object", sheet),
                "can_adjust": transitions.allowed(request.user, a, "adjust", sheet),
                "can_rule": transitions.allowed(request.user, a, "rule", sheet),
                "objection_form": forms.ObjectionForm(),
                "adjust_form": forms.AdjustForm(),
                "rule_form": forms.RuleForm(),
                "PENDING": ObjectionState.PENDING,
            },
        )


class EvidenceView(LoginRequiredMixin, View):
    """The records behind one frozen figure, linked (each shown only to those who may see it)."""

    def get(self, request, pk):
        score = queries.get_score(request.user, pk)
        score.figure = queries.figure_text(score)
        return render(
            request,
            "assessment/evidence.html",
            {"score": score, "sheet": score.sheet, "groups": queries.evidence(request.user, score)},
        )


class ObjectionRaiseView(LoginRequiredMixin, View):
    def post(self, request, pk):
        score = queries.get_score(request.user, pk)
        form = forms.ObjectionForm(request.POST, request.FILES)
        return _side_action(
            request,
            back=score.get_absolute_url(),
            form=form,
            run=lambda d: actions.objection_raise(actor=request.user, score=score, note=d["note"], files=d["files"]),
            success=_("异议已提交，等待县应急管理局裁定"),
        )


class ScoreAdjustView(LoginRequiredMixin, View):
    def post(self, request, pk):
        score = queries.get_score(request.user, pk)
        return _side_action(
            request,
            back=score.get_absolute_url(),
            form=forms.AdjustForm(request.POST),
            run=lambda d: actions.score_adjust(actor=request.user, score=score, points=d["points"], reason=d["reason"]),
            success=_("得分已调整"),
        )


class ObjectionRuleView(LoginRequiredMixin, View):
    def post(self, request, pk):
        objection = get_visible_or_404(Objection.objects.select_related("score"), request.user, pk=pk)
        return _side_action(
            request,
            back=objection.get_absolute_url(),
            form=forms.RuleForm(request.POST),
            run=lambda d: actions.objection_rule(
                actor=request.user,
                objection=objection,
                upheld=d["decision"] == "upheld",
                reason=d["reason"],
                points=d["points"],
            ),
            success=_("异议已裁定"),
        )


class ObjectionFileView(LoginRequiredMixin, View):
    def get(self, request, pk):
        f = get_visible_or_404(ObjectionFile, request.user, pk=pk)
        if not f.file:
            raise Http404
        return serve_stored_document(f.file, name=f.name)
