"""The public portal (no login, cached, no personal data) and the marketplace's working pages.

Public pages render from ``market/public_base.html``: no form with a CSRF token and no cookie, so the
whole response can be cached per language and path (``public_page``) and served to a newspaper's
worth of readers without touching the database. Language is chosen by a link (a display preference,
not a change of data), which sets Django's language cookie.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from safeserve.core.excel import Sheet, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_image
from safeserve.core.validation import parse_id
from safeserve.core.views import Column, ObjectConfig, ObjectEditView, _apply_validation_error, mark_download
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, Enterprise
from safeserve.services.choices import ServiceItem

from . import actions, filters, forms, queries
from .models import Bar, CaseStatus, CaseStory, Need, NeedStatus, PriceItem, Quote, QuoteStatus
from .public import public_page

COMPARE_MAX = 4


def _sections(request):
    from safeserve.core import hooks

    return [s for provider in hooks.PUBLIC_SECTIONS if (s := provider(request))]


@public_page
def portal(request):
    return render(
        request,
        "market/portal.html",
        {
            "figures": queries.portal_figures(),
            "cases": list(queries.published_cases()[:3]),
            "sections": _sections(request),
        },
    )


@public_page
def directory(request):
    form = forms.DirectoryFilter(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    listings = queries.directory(
        service_type=params.get("service_type") or "",
        town=params["town"].pk if params.get("town") else None,
        min_rating=float(params["min_rating"]) if params.get("min_rating") is not None else None,
        grade=params.get("grade") or "",
        price_max=params.get("price_max"),
        text=params.get("q") or "",
        sort=params.get("sort") or "rating",
    )
    return render(
        request,
        "market/directory.html",
        {"form": form, "listings": listings, "compare_max": COMPARE_MAX, "bad": form.is_bound and not form.is_valid()},
    )


@public_page
def agency(request, pk: int):
    found = queries.directory(ids=[pk])
    if not found:
        raise Http404
    return render(request, "market/agency.html", {"l": found[0]})


@public_page
def compare(request):
    raw = request.GET.getlist("id")
    ids = [parse_id(v) for v in raw]
    if not raw or None in ids:
        return render(request, "market/compare.html", {"error": _("请从名录中勾选要比较的机构。")}, status=400)
    if len(set(ids)) > COMPARE_MAX:
        return render(
            request, "market/compare.html", {"error": _("最多比较%(n)s家机构。") % {"n": COMPARE_MAX}}, status=400
        )
    listings = queries.directory(ids=ids)
    return render(request, "market/compare.html", {"listings": listings})


@public_page
def cases(request):
    return render(request, "market/cases.html", {"cases": queries.published_cases()})


@public_page
def case(request, pk: int):
    story = queries.published_cases().filter(pk=pk).first()
    if story is None:
        raise Http404
    return render(request, "market/case.html", {"story": story})


def case_photo(request, pk: int):
    story = queries.published_cases().filter(pk=pk).first()
    if story is None or not story.photo:
        raise Http404
    response = serve_stored_image(story.photo, name=f"case-{story.pk}")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def set_language(request, code: str):
    """A link, not a form: the public pages carry no CSRF token (so they can be cached)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next") or reverse("market:portal")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("market:portal")
    response = HttpResponseRedirect(target)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


# ---------------------------------------------------------------- working pages


class ProfileEditView(LoginRequiredMixin, View):
    """The agency's own public profile and its price list (the county edits any through the admin of
    the register; here an agency user only)."""

    def _profile(self, request):
        if request.user.role != "agency" or not request.user.has_perm("market.change_agencyprofile"):
            raise PermissionDenied
        return actions.profile_for(request.user.agency)

    def get(self, request):
        profile = self._profile(request)
        return self.render(request, profile, forms.ProfileForm(instance=profile, user=request.user))

    def post(self, request):
        profile = self._profile(request)
        form = forms.ProfileForm(request.POST, instance=profile, user=request.user)
        if form.is_valid():
            data, m2m = form.action_data()
            try:
                actions.update_record(actor=request.user, instance=profile, data=data, m2m=m2m)
                messages.success(request, _("已保存公开信息。"))
                return redirect("market:profile_edit")
            except ValidationError as exc:
                form.add_error(None, exc)
        return self.render(request, profile, form)

    def render(self, request, profile, form):
        listing = queries.directory(ids=[profile.agency_id])
        return render(
            request,
            "market/profile_edit.html",
            {
                "form": form,
                "profile": profile,
                "prices": PriceItem.objects.visible_to(request.user).order_by("service_type", "price_min"),
                "listing": listing[0] if listing else None,
            },
        )


class AgencyHideView(LoginRequiredMixin, View):
    def post(self, request, pk: int, hide: str):
        if hide not in ("hide", "show"):
            raise Http404
        if not request.user.has_perm("market.change_agencyprofile") or request.user.role != "county":
            raise PermissionDenied
        target = get_visible_or_404(Agency, request.user, "view", pk=pk)
        form = forms.HideForm(request.POST)
        if hide == "hide" and not form.is_valid():
            messages.error(request, _("请写明隐藏理由。"))
        else:
            reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
            if hide == "hide":
                actions.agency_hide(actor=request.user, agency=target, reason=reason)
                messages.success(request, _("已在服务超市中隐藏：%(a)s") % {"a": target})
            else:
                actions.agency_unhide(actor=request.user, agency=target, reason=reason)
                messages.success(request, _("已恢复展示：%(a)s") % {"a": target})
        return redirect(reverse("registry:agency_detail", args=[target.pk]))


PRICE = ObjectConfig(
    model=PriceItem,
    filterset=filters.PriceItemFilterSet,
    form=forms.PriceItemForm,
    columns=[
        Column("item", sort="item", link=True),
        Column("agency", sort="agency__name"),
        Column("service_type", sort="service_type"),
        Column("unit"),
        Column("price_min", sort="price_min"),
        Column("price_max"),
        Column("included"),
    ],
    detail_fields=["agency", "service_type", "item", "unit", "price_min", "price_max", "included"],
    select_related=("agency",),
    ordering=("agency__name", "service_type", "price_min"),
)


class CaseEditView(ObjectEditView):
    def make_form(self, obj, data=None, files=None):
        return forms.CaseForm(data, files, instance=obj, user=self.request.user)

    def save(self, obj, form):
        data, _m2m = form.action_data()
        if obj is None:
            return actions.case_create(actor=self.request.user, data=data)
        if obj.status not in (CaseStatus.DRAFT,):
            raise ValidationError(_("只有草稿可以修改；已提交或已发布的请先退回。"))
        return actions.update_record(actor=self.request.user, instance=obj, data=data)


def _may_change_case(user, story) -> bool:
    return user.has_perm("market.change_casestory") and (
        CaseStory.objects.visible_to(user, "change").filter(pk=story.pk).exists()
    )


class CasePhotoUploadView(LoginRequiredMixin, View):
    """POST: the story's picture (a draft's only), checked and re-encoded by core.uploads.verify_image."""

    def post(self, request, pk):
        story = get_visible_or_404(CaseStory, request.user, pk=pk)
        if not _may_change_case(request.user, story):
            raise PermissionDenied
        form = forms.CasePhotoForm(request.POST, request.FILES)
        if story.status != CaseStatus.DRAFT:
            messages.error(request, _("只有草稿可以修改；已提交或已发布的请先退回。"))
        elif not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        else:
            actions.case_set_photo(actor=request.user, story=story, photo=form.cleaned_data["image"])
            messages.success(request, _("配图已上传。"))
        return redirect(story.get_absolute_url())


def _case_actions(request, obj):
    allowed = actions.TRANSITIONS.get(obj.status, {})
    labels = {
        "submit": _lazy("提交审核"),
        "publish": _lazy("发布"),
        "return": _lazy("退回修改"),
        "withdraw": _lazy("撤回"),
    }
    can = request.user.has_perm("market.change_casestory")
    return {
        "transitions": [
            (name, labels[name]) for name, (_next, roles) in allowed.items() if can and request.user.role in roles
        ],
        "public_url": reverse("market:public_case", args=[obj.pk]) if obj.status == CaseStatus.PUBLISHED else "",
        "photo_form": forms.CasePhotoForm()
        if obj.status == CaseStatus.DRAFT and _may_change_case(request.user, obj)
        else None,
    }


CASE = ObjectConfig(
    model=CaseStory,
    filterset=filters.CaseStoryFilterSet,
    form=forms.CaseForm,
    columns=[
        Column("title", sort="title", link=True),
        Column("town", sort="town__sort_order"),
        Column("status", sort="status"),
        Column("published_at", sort="published_at"),
    ],
    detail_fields=["title", "town", "summary", "status", "review_note", "published_at", "text"],
    select_related=("town",),
    ordering=("-id",),
    detail_template="market/case_detail.html",
    detail_context=_case_actions,
)


class CaseTransitionView(LoginRequiredMixin, View):
    def post(self, request, pk: int, action: str):
        story = get_visible_or_404(CaseStory, request.user, "change", pk=pk)
        form = forms.TransitionForm(request.POST)
        note = form.cleaned_data.get("note", "") if form.is_valid() else ""
        try:
            actions.case_transition(actor=request.user, story=story, action=action, note=note)
            messages.success(request, _("已更新：%(s)s") % {"s": story})
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect(story.get_absolute_url())


def compare_url(ids) -> str:
    return reverse("market:compare") + "?" + urlencode([("id", i) for i in ids])


# ---------------------------------------------------------------- needs, quotes, statistics (issue 17 §2)


def _require(request, perm: str):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def need_facts(need: Need, user) -> dict:
    """What ``user`` may see of the enterprise behind ``need``. An agency sees the name only when the
    enterprise published it, and the credit code, address and contact only once it accepted that
    agency's quote; the enterprise itself and the county and town officers see everything."""
    e = need.enterprise
    if user.role != "agency":
        return {"name": e.name, "contact": e}
    won = need.quotes.filter(agency_id=user.agency_id, status=QuoteStatus.ACCEPTED).exists()
    return {"name": e.name if (need.show_name or won) else "", "contact": e if won else None}


class NeedListView(LoginRequiredMixin, View):
    def get(self, request):
        _require(request, "market.view_need")
        rows = (
            Need.objects.visible_to(request.user, "view")
            .select_related("town", "industry", "enterprise")
            .annotate(n_quotes=Count("quotes", filter=~Q(quotes__status=QuoteStatus.WITHDRAWN)))
            .order_by("-created_at", "-id")
        )
        status = request.GET.get("status", "")
        if status in NeedStatus.values:
            rows = rows.filter(status=status)
        if "download" in request.GET:
            return mark_download(request, self.export(request, rows, status))
        page = Paginator(rows, 25).get_page(request.GET.get("page"))
        for need in page.object_list:
            need.facts = need_facts(need, request.user)
        query = urlencode({"status": status} if status else {})
        return render(
            request,
            "market/need_list.html",
            {"page": page, "statuses": NeedStatus.choices, "status": status,
             "export_url": "?" + (query + "&" if query else "") + "download=1",
             "can_add": request.user.role == "enterprise" and request.user.has_perm("market.add_need")},
        )  # fmt: skip

    def export(self, request, rows, status):
        """The list as a workbook: the same rows and the same facts (an undisclosed name stays hidden)."""
        user = request.user
        title = _("服务需求与报价")
        headers = [
            _("需求"),
            _("企业"),
            _("行业"),
            _("规模"),
            _("期望服务期开始"),
            _("期望服务期结束"),
            _("报价数"),
            _("状态"),
        ]

        def lines():
            for need in rows.iterator(chunk_size=500):
                facts = need_facts(need, user)
                yield [
                    str(need),
                    facts.get("name") or _("企业未公开名称"),
                    str(need.industry) if need.industry_id else "",
                    need.get_size_class_display(),
                    need.start_date,
                    need.end_date,
                    "—" if user.role == "agency" else need.n_quotes,
                    need.get_status_display(),
                ]

        conditions = [(_("状态"), NeedStatus(status).label)] if status else []
        return workbook_response(title, [Sheet(title, headers, lines(), heading_lines(title, conditions))],
                                 ascii_name="market-needs")  # fmt: skip


class NeedAddView(LoginRequiredMixin, View):
    def _enterprise(self, request):
        if request.user.role != "enterprise" or not request.user.has_perm("market.add_need"):
            raise PermissionDenied
        return Enterprise.objects.select_related("town", "industry").get(pk=request.user.enterprise_id)

    def get(self, request):
        return self.show(request, forms.NeedForm(user=request.user))

    def post(self, request):
        self._enterprise(request)
        form = forms.NeedForm(request.POST, user=request.user)
        if form.is_valid():
            data, m2m = form.action_data()
            try:
                need = actions.need_create(actor=request.user, data=data, invited=m2m.get("invited", []))
                messages.success(request, _("需求已发布。"))
                return redirect(need.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return self.show(request, form, status=400)

    def show(self, request, form, status=200):
        enterprise = self._enterprise(request)
        self_paid = enterprise.is_hazchem or enterprise.has_major_hazard_source
        return render(
            request, "market/need_form.html", {"form": form, "enterprise": enterprise, "self_paid": self_paid},
            status=status,
        )  # fmt: skip


class NeedDetailView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        _require(request, "market.view_need")
        need = get_visible_or_404(Need.objects.select_related("town", "industry", "enterprise"), request.user, pk=pk)
        user = request.user
        context = {"need": need, "facts": need_facts(need, user)}
        if user.role == "agency":
            mine = need.quotes.filter(agency_id=user.agency_id).first()
            context["my_quote"] = mine
            if mine is None and need.status == NeedStatus.OPEN and user.has_perm("market.add_quote"):
                agency = Agency.objects.get(pk=user.agency_id)
                context["quote_form"] = forms.QuoteForm(user=user, need=need)
                context["bar"] = queries.bar_reason(agency, need.enterprise)
                offered = set(queries.agency_types_on(agency))
                context["lacking"] = [str(ServiceType(t).label) for t in need.service_types if t not in offered]
        else:
            context["quotes"] = list(need.quotes.select_related("agency").order_by("price", "id"))
            context["can_manage"] = user.role == "enterprise" and user.has_perm("market.change_need")
        return render(request, "market/need_detail.html", context)


class NeedTransitionView(LoginRequiredMixin, View):
    def post(self, request, pk: int, action: str):
        need = get_visible_or_404(Need, request.user, "view", pk=pk)
        _require(request, "market.change_need")
        try:
            actions.need_transition(actor=request.user, need=need, action=action)
            messages.success(request, _("需求状态已更新。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect(need.get_absolute_url())


class QuoteAddView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        need = get_visible_or_404(Need, request.user, "view", pk=pk)
        _require(request, "market.add_quote")
        form = forms.QuoteForm(request.POST, user=request.user, need=need)
        if form.is_valid():
            data, m2m = form.action_data()
            try:
                quote = actions.quote_submit(actor=request.user, need=need, data=data, staff=m2m.get("staff", []))
                messages.success(request, _("报价已提交。"))
                return redirect(quote.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        agency = Agency.objects.get(pk=request.user.agency_id)
        context = {
            "need": need, "facts": need_facts(need, request.user), "quote_form": form,
            "bar": queries.bar_reason(agency, need.enterprise), "lacking": [],
        }  # fmt: skip
        return render(request, "market/need_detail.html", context, status=400)


class NeedCompareView(LoginRequiredMixin, View):
    """The quotes of one need side by side (the enterprise, and the county and town to look)."""

    def get(self, request, pk: int):
        need = get_visible_or_404(Need.objects.select_related("town", "enterprise"), request.user, pk=pk)
        _require(request, "market.view_quote")
        if request.user.role == "agency":
            raise PermissionDenied  # an agency never sees its competitors' quotes
        quotes = list(
            need.quotes.exclude(status=QuoteStatus.WITHDRAWN)
            .select_related("agency")
            .prefetch_related("staff")
            .annotate(n_messages=Count("messages"))
            .order_by("price", "id")
        )
        listings = {x.agency.pk: x for x in queries.directory(ids=[q.agency_id for q in quotes])}
        for q in quotes:
            q.listing = listings.get(q.agency_id)
            q.items_display = "、".join(str(ServiceItem(i).label) for i in q.items if i in ServiceItem.values)
        can_accept = (
            request.user.role == "enterprise"
            and request.user.has_perm("market.change_quote")
            and need.status == NeedStatus.OPEN
        )
        return render(request, "market/need_compare.html", {"need": need, "quotes": quotes, "can_accept": can_accept})


class QuoteDetailView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        _require(request, "market.view_quote")
        quote = get_visible_or_404(
            Quote.objects.select_related("need", "need__town", "need__enterprise", "agency", "contract"),
            request.user,
            pk=pk,
        )
        user = request.user
        side = user.role if user.role in ("enterprise", "agency") else None
        can_confirm = bool(
            side
            and user.has_perm("market.change_quote")
            and quote.contract_id
            and quote.contract.status == "draft"
            and not getattr(quote, f"{side}_confirmed_at")
        )
        return render(
            request,
            "market/quote_detail.html",
            {
                "quote": quote,
                "need": quote.need,
                "facts": need_facts(quote.need, user),
                "thread": quote.messages.select_related("author"),
                "message_form": forms.MessageForm() if side and user.has_perm("market.add_quotemessage") else None,
                "can_accept": side == "enterprise"
                and user.has_perm("market.change_quote")
                and quote.need.status == NeedStatus.OPEN
                and quote.status == QuoteStatus.SUBMITTED,
                "can_confirm": can_confirm,
                "can_withdraw": side == "agency"
                and user.has_perm("market.change_quote")
                and quote.status == QuoteStatus.SUBMITTED
                and quote.need.status == NeedStatus.OPEN,
                "items_display": "、".join(str(ServiceItem(i).label) for i in quote.items if i in ServiceItem.values),
            },
        )


class QuoteMessageView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        quote = get_visible_or_404(Quote, request.user, pk=pk)
        _require(request, "market.add_quotemessage")
        form = forms.MessageForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写留言内容（不超过2000字）。"))
        else:
            try:
                actions.quote_message(actor=request.user, quote=quote, text=form.cleaned_data["text"])
                messages.success(request, _("已留言，对方会收到通知。"))
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
        return redirect(quote.get_absolute_url())


class QuoteAcceptView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        quote = get_visible_or_404(Quote, request.user, pk=pk)
        _require(request, "market.change_quote")
        try:
            contract = actions.quote_accept(actor=request.user, quote=quote)
            messages.success(request, _("已选定该报价，并生成合同草稿 %(n)s，请双方确认。") % {"n": contract.number})
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect(quote.get_absolute_url())


class QuoteWithdrawView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        quote = get_visible_or_404(Quote, request.user, pk=pk)
        _require(request, "market.change_quote")
        try:
            actions.quote_withdraw(actor=request.user, quote=quote)
            messages.success(request, _("已撤回报价。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect(quote.get_absolute_url())


class QuoteConfirmView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        quote = get_visible_or_404(Quote, request.user, pk=pk)
        _require(request, "market.change_quote")
        try:
            fresh = actions.quote_confirm(actor=request.user, quote=quote)
            if fresh.contract.status == "active":
                messages.success(request, _("双方均已确认，合同已生效。"))
            else:
                messages.success(request, _("已确认合同草稿，等待对方确认。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect(quote.get_absolute_url())


class MarketStatsView(LoginRequiredMixin, View):
    def get(self, request):
        if request.user.role not in ("county", "town") or not request.user.has_perm("market.view_need"):
            raise PermissionDenied
        stats = queries.market_stats(request.user)
        chart = {
            "labels": [f"{r['type']}·{r['town']}" for r in stats["prices"]],
            "min": [r["min"] for r in stats["prices"]],
            "median": [r["median"] for r in stats["prices"]],
            "max": [r["max"] for r in stats["prices"]],
        }
        return render(request, "market/stats.html", {"s": stats, "chart": chart})


BAR = ObjectConfig(
    model=Bar,
    filterset=filters.BarFilterSet,
    form=forms.BarForm,
    columns=[Column("agency", sort="agency__name", link=True), Column("enterprise"), Column("reason")],
    detail_fields=["agency", "enterprise", "reason"],
    select_related=("agency", "enterprise"),
    ordering=("-id",),
)
