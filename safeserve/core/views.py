"""Generic, scoped object views (list, detail, add, edit, delete, export) built from one config.

An app describes a model once with an ``ObjectConfig``; ``object_urls(config)`` gives its routes,
and the inherited permission suite (``core.testkit``) tests every one of them. Every view reads
through ``visible_to(user, action)``; nothing here calls ``.save()`` — writes go through actions.
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import ProtectedError, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views import View

from . import actions, hooks
from .display import cell, display_html, field_label, history_rows
from .excel import export_queryset
from .filters import describe_filters, filter_period
from .scoping import get_visible_or_404


@dataclass
class Column:
    name: str
    label: str | None = None
    sort: str | None = None  # ordering expression, or None when the column is not sortable
    link: bool = False
    # value -> a Bootstrap colour ("danger") or a core.colours.Tone (painted in that colour in the
    # list, the detail page and the exported cell's fill)
    badge: dict[str, Any] | None = None


@dataclass
class Related:
    """A child table on a detail page (e.g. an agency's qualifications)."""

    title: str
    model: Any
    fk: str
    columns: list[Column]
    add_route: str | None = None


@dataclass
class ObjectConfig:
    model: Any
    filterset: Any
    form: Any
    columns: list[Column]
    detail_fields: list[str]
    select_related: tuple[str, ...] = ()
    ordering: tuple[str, ...] = ("-id",)
    export_fields: list[str] | None = None
    related: list[Related] = field(default_factory=list)
    list_template: str = "core/object_list.html"
    detail_template: str = "core/object_detail.html"
    form_template: str = "core/object_form.html"  # one that extends it, e.g. to add a script
    extra_actions: list[tuple[str, str]] = field(default_factory=list)  # (route name, label) on the list page
    annotate: Any = None  # callable(queryset) -> queryset, for computed columns
    # The scoped rows, when an app reads them through its own query (callable(user, action)); the
    # default is ``visible_to``. Either way the list, export and detail pages read the same rows.
    rows: Any = None
    routes: dict[str, str] = field(default_factory=dict)  # action -> route name, where not <model>_<action>
    results_template: str = "core/_object_table.html"  # the part htmx swaps when a filter changes
    list_context: Any = None  # callable(request) -> extra context for list_template
    export_title: Any = None  # the workbook's title and file name (default: verbose_name_plural)
    period: Any = None  # callable(filterset) -> the period in words for the export's title block
    detail_context: Any = None  # callable(request, obj) -> extra context for detail_template

    @property
    def opts(self):
        return self.model._meta

    @property
    def key(self) -> str:
        return self.opts.model_name

    @property
    def namespace(self) -> str:
        return self.opts.app_label

    def route(self, action: str) -> str:
        return self.routes.get(action) or f"{self.namespace}:{self.key}_{action}"

    def queryset(self, user, action="view"):
        qs = self.rows(user, action) if self.rows else self.model.objects.visible_to(user, action)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.annotate:
            qs = self.annotate(qs)
        return qs

    def can(self, user, action) -> bool:
        return user.has_perm(f"{self.opts.app_label}.{action}_{self.opts.model_name}")

    def export_columns(self):
        names = self.export_fields or [c.name for c in self.columns]
        labels = {c.name: c.label for c in self.columns if c.label}
        return [(n, labels.get(n) or field_label(self.model, n)) for n in names]


class ConfigView(LoginRequiredMixin, View):
    config: ObjectConfig = None
    raise_exception = False

    def ctx(self, **extra):
        c = self.config
        user = self.request.user
        return {
            "config": c,
            "opts": c.opts,
            "verbose_name": c.opts.verbose_name,
            "verbose_name_plural": c.opts.verbose_name_plural,
            "can_add": c.can(user, "add"),
            "can_change": c.can(user, "change"),
            "can_delete": c.can(user, "delete"),
            "list_url": reverse(c.route("list")),
            "add_url": reverse(c.route("add")),
            "extra_actions": [(reverse(r), label) for r, label in c.extra_actions] if c.can(user, "add") else [],
            **extra,
        }


PAGE_SIZES = (20, 50, 100)  # the page-size choice; anything else is an input error


def sort_keys(config: ObjectConfig) -> dict[str, str]:
    """The whitelist of ``?sort=`` keys: the names of the sortable columns (``-`` for descending)."""
    return {c.name: c.sort for c in config.columns if c.sort}


def _sorted(qs, config: ObjectConfig, sort: str):
    allowed = sort_keys(config)
    key = sort.lstrip("-")
    if key in allowed:
        expr = allowed[key]
        desc = sort.startswith("-")
        return qs.order_by(f"-{expr}" if desc else expr, "-id" if desc else "id"), sort
    return qs.order_by(*config.ordering), ""


def list_param_errors(config: ObjectConfig, params) -> list[str]:
    """What is wrong with the list's own parameters (sort key, page size), in Chinese."""
    errors = []
    sort = params.get("sort", "")
    if sort and (sort.count("-") > 1 or sort.lstrip("-") not in sort_keys(config) or sort.startswith("--")):
        names = "、".join(sort_keys(config)) or _("无")
        errors.append(_("排序：不支持按“%(key)s”排序（可用：%(names)s）") % {"key": sort[:40], "names": names})
    size = params.get("per_page", "")
    if size and size not in {str(n) for n in PAGE_SIZES}:
        errors.append(_("每页条数：须为 %(sizes)s 之一") % {"sizes": "、".join(str(n) for n in PAGE_SIZES)})
    return errors


def page_size(config: ObjectConfig, params) -> int:
    size = params.get("per_page", "")
    if size in {str(n) for n in PAGE_SIZES}:
        return int(size)
    return getattr(config.model, "list_page_size", 50)


def filtered_or_none(filterset, base):
    """The filtered rows; none when a filter is invalid (the page shows why instead of ignoring it)."""
    if not filterset.is_bound:
        return base
    return filterset.qs if filterset.is_valid() else base.none()


def bad_input(request, form):
    """A friendly 400 page listing the form's errors in Chinese (downloads, statistics, exports)."""
    return render(request, "core/bad_input.html", {"form": form}, status=400)


def paginate(qs, number, per_page):
    """One page of ``qs``, fetched in two steps so that a deep page costs what the first one does.

    Step 1 pages through the primary keys only (same filters, same ordering): the database answers
    from an index such as (town, risk_level, name, id) without reading the rows it skips. Step 2
    fetches that page's rows, with their joins, by primary key. Two queries whatever the depth
    (docs/benchmarks.md: page 200 of a town's 11,000 yellow-risk enterprises went from ~100 ms of
    sorting whole rows on PostgreSQL to a few ms).
    """
    page = Paginator(qs.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    by_pk = {obj.pk: obj for obj in qs.order_by().filter(pk__in=ids)} if ids else {}
    page.object_list = [by_pk[pk] for pk in ids if pk in by_pk]
    return page


def export_max_rows() -> int:
    return int(settings.SAFESERVE.get("EXPORT_MAX_ROWS", 200_000))


class ObjectListView(ConfigView):
    def filtered(self):
        """(filterset, rows, sort): the scoped rows narrowed by the filters; none, with the reasons
        on ``filterset.form``, when any parameter (a filter, the sort key, the page size) is invalid."""
        c = self.config
        user = self.request.user
        if not c.can(user, "view"):
            raise PermissionDenied
        params = self.request.GET
        base = c.queryset(user)
        fs = c.filterset(params or None, queryset=base, request=self.request)
        if fs.is_bound:
            fs.is_valid()  # cleans the form, so that the list's own errors can join the filters'
            for error in list_param_errors(c, params):
                fs.form.add_error(None, error)
        qs = filtered_or_none(fs, base)
        qs, sort = _sorted(qs, c, params.get("sort", ""))
        return fs, qs, sort

    def get(self, request):
        c = self.config
        fs, qs, sort = self.filtered()
        per_page = page_size(c, request.GET)
        page = paginate(qs, request.GET.get("page"), per_page)
        # The cells of core/_object_table.html, built only if the template reads them: a list with its
        # own results_template (hazards, visits) renders page.object_list, and building 50 rows × 8
        # cells it never shows was a sixth of the hazard list's CPU (docs/benchmarks.md).
        rows = SimpleLazyObject(
            lambda: [(obj, [(col, *cell(obj, col, request.user)) for col in c.columns]) for obj in page.object_list]
        )
        query = request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        size_query = query.copy()
        size_query.pop("per_page", None)
        export_query = query.copy()
        for key in ("per_page", "sort"):
            if key in export_query and fs.form.errors:
                export_query.pop(key)
        context = self.ctx(
            filterset=fs,
            page=page,
            page_range=list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            page_sizes=PAGE_SIZES,
            per_page=per_page,
            size_querystring=size_query.urlencode(),
            rows=rows,
            sort=sort,
            querystring=query.urlencode(),
            sort_querystring=sort_query.urlencode(),
            columns=c.columns,
            export_url=reverse(c.route("export")) + ("?" + query.urlencode() if query else ""),
            **(c.list_context(request) if c.list_context else {}),
        )
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
            return render(request, c.results_template, context)
        return render(request, c.list_template, context)


class ObjectExportView(ObjectListView):
    """The list's rows as a workbook: the same scope, filters and order as the page, all pages."""

    def get(self, request):
        c = self.config
        fs, qs, _sort = self.filtered()
        if fs.is_bound and not fs.is_valid():
            return bad_input(request, fs.form)
        limit = export_max_rows()
        if qs[limit : limit + 1].exists():
            form = fs.form if fs.is_bound else forms.Form({})
            form.is_valid()
            form.add_error(
                None, _("导出：超过 %(n)d 行的上限，请缩小筛选范围（如按镇（街道）或时间段）后分批导出") % {"n": limit}
            )
            return bad_input(request, form)
        title = str(c.export_title or c.opts.verbose_name_plural)
        resp = export_queryset(
            qs,
            c.export_columns(),
            request.user,
            filename=title,
            ascii_name=c.key,
            title=title,
            conditions=describe_filters(fs),
            period=c.period(fs) if c.period else filter_period(fs),
            tones={col.name: col.badge for col in c.columns if col.badge},
        )
        return mark_download(request, resp)


def mark_download(request, resp):
    """Answer the export button's token (``?_dl=``) with a cookie: the page then knows the file came
    (safeserve/static/js/export.js turns its "正在生成…" back into the button)."""
    token = request.GET.get("_dl", "")
    if token and len(token) <= 40 and token.isalnum():
        resp.set_cookie(f"ss_dl_{token}", "1", max_age=120, samesite="Lax", secure=request.is_secure())
    return resp


def _tone(badges, obj, name):
    """The badge colour of ``obj.<name>`` on a detail page (the list column's, so both agree)."""
    if not badges:
        return None
    raw = getattr(obj, name, None)
    return badges.get(raw) if isinstance(raw, str) else None


class ObjectDetailView(ConfigView):
    def get(self, request, pk):
        c = self.config
        obj = get_visible_or_404(c.queryset(request.user), request.user, pk=pk)
        tones = {col.name: col.badge for col in c.columns if col.badge}
        fields = [
            (field_label(c.model, n), display_html(obj, n, request.user), n, _tone(tones.get(n), obj, n))
            for n in c.detail_fields
        ]
        related = []
        for rel in c.related:
            rel_qs = rel.model.objects.visible_to(request.user).filter(**{rel.fk: obj})
            related.append(
                {
                    "rel": rel,
                    "rows": [(r, [(col, *cell(r, col, request.user)) for col in rel.columns]) for r in rel_qs[:200]],
                    "add_url": reverse(rel.add_route) + f"?{rel.fk}={obj.pk}"
                    if rel.add_route
                    and request.user.has_perm(f"{rel.model._meta.app_label}.add_{rel.model._meta.model_name}")
                    else None,
                }
            )
        can_edit = c.model.objects.visible_to(request.user, "change").filter(pk=obj.pk).exists()
        can_del = c.model.objects.visible_to(request.user, "delete").filter(pk=obj.pk).exists()
        return render(
            request,
            c.detail_template,
            self.ctx(
                object=obj,
                fields=fields,
                related=related,
                history=history_rows(obj, request.user, 100),
                edit_url=reverse(c.route("edit"), args=[obj.pk]) if can_edit else None,
                delete_url=reverse(c.route("delete"), args=[obj.pk]) if can_del else None,
                **(c.detail_context(request, obj) if c.detail_context else {}),
            ),
        )


def _apply_validation_error(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ObjectEditView(ConfigView):
    """Add (no pk) or edit (pk). The form validates input; the action writes and audits."""

    def get_object(self, pk):
        if pk is None:
            if not self.config.can(self.request.user, "add"):
                raise PermissionDenied
            return None
        return get_visible_or_404(self.config.queryset(self.request.user, "change"), self.request.user, "change", pk=pk)

    def make_form(self, obj, data=None, files=None):
        initial = {k: v for k, v in self.request.GET.items()} if obj is None else None
        return self.config.form(data, files, instance=obj, initial=initial, user=self.request.user)

    def get(self, request, pk=None):
        obj = self.get_object(pk)
        return self.render_form(obj, self.make_form(obj))

    def render_form(self, obj, form):
        return render(
            request=self.request,
            template_name=self.config.form_template,
            context=self.ctx(object=obj, form=form),
        )

    def save(self, obj, form):
        """Write through the actions layer; a capability overrides this to call its own action."""
        data, m2m = form.action_data()
        if obj is None:
            return actions.create_record(actor=self.request.user, model=self.config.model, data=data, m2m=m2m)
        return actions.update_record(actor=self.request.user, instance=obj, data=data, m2m=m2m)

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        form = self.make_form(obj, request.POST, request.FILES)
        if form.is_valid():
            try:
                created = obj is None
                obj = self.save(obj, form)
                msg = _("已新建：%(obj)s") if created else _("已保存：%(obj)s")
                messages.success(request, msg % {"obj": obj})
                return redirect(obj.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("您没有该操作的权限"))
        return self.render_form(obj, form)


class ObjectDeleteView(ConfigView):
    def get_object(self, pk):
        return get_visible_or_404(self.config.queryset(self.request.user, "delete"), self.request.user, "delete", pk=pk)

    def get(self, request, pk):
        obj = self.get_object(pk)
        return render(request, "core/object_confirm_delete.html", self.ctx(object=obj))

    def post(self, request, pk):
        obj = self.get_object(pk)
        try:
            actions.delete_record(actor=request.user, instance=obj)
        except ProtectedError as exc:
            messages.error(request, protected_message(obj, exc))
            return redirect(obj.get_absolute_url())
        messages.success(request, _("已删除：%(obj)s") % {"obj": obj})
        return redirect(reverse(self.config.route("list")))


def protected_message(obj, exc: ProtectedError) -> str:
    """The refusal for deleting a record others still reference, naming what references it."""
    kinds = sorted({str(o._meta.verbose_name) for o in exc.protected_objects})
    return _("无法删除：%(obj)s 仍被其他记录引用（%(kinds)s）。已签署的记录不能改动；人员离职请办理停用。") % {
        "obj": obj,
        "kinds": "、".join(kinds[:5]),
    }


def object_urls(config: ObjectConfig, prefix: str) -> list:
    """The six routes of one object type, all named ``<model>_<action>``."""
    k = config.key

    def view(cls):
        return cls.as_view(config=config)

    return [
        path(f"{prefix}/", view(ObjectListView), name=f"{k}_list"),
        path(f"{prefix}/export.xlsx", view(ObjectExportView), name=f"{k}_export"),
        path(f"{prefix}/add/", view(ObjectEditView), name=f"{k}_add"),
        path(f"{prefix}/<int:pk>/", view(ObjectDetailView), name=f"{k}_detail"),
        path(f"{prefix}/<int:pk>/edit/", view(ObjectEditView), name=f"{k}_edit"),
        path(f"{prefix}/<int:pk>/delete/", view(ObjectDeleteView), name=f"{k}_delete"),
    ]


AUTOCOMPLETE_LIMIT = 20  # answers per keystroke: enough to pick from, never a dump of the register
AUTOCOMPLETE_MAX_Q = 50


def autocomplete_term(request) -> str | None:
    """The search-as-you-type term (``q``), or None when it is too long or holds a NUL byte."""
    q = request.GET.get("q", "").strip()
    return None if len(q) > AUTOCOMPLETE_MAX_Q or "\x00" in q else q


def bad_autocomplete_term() -> JsonResponse:
    message = _("搜索词：最多 %(n)d 个字，且不能含控制字符") % {"n": AUTOCOMPLETE_MAX_Q}
    return JsonResponse({"q": [message]}, status=400, json_dumps_params={"ensure_ascii": False})


class AutocompleteView(LoginRequiredMixin, View):
    """``/autocomplete/<kind>/?q=罗星``: up to 20 {id, text} of the records of ``kind`` whose name
    contains ``q``, among those the user may see (``visible_to``: a town officer never gets another
    town's enterprise names). An unknown kind is a 404; a too-long ``q`` a 400."""

    raise_exception = True  # an API for the page's script: 403 rather than a redirect to the login page

    def get(self, request, kind):
        spec = hooks.AUTOCOMPLETE.get(kind)
        if spec is None:
            raise Http404
        opts = spec.model._meta
        if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            raise PermissionDenied  # as the register's own list: no names for those who may not list it
        q = autocomplete_term(request)
        if q is None:
            return bad_autocomplete_term()
        qs = spec.model.objects.visible_to(request.user)
        if q:
            cond = Q()
            for f in spec.search:
                cond |= Q(**{f: q})
            qs = qs.filter(cond)
        rows = qs.order_by(*spec.order)[:AUTOCOMPLETE_LIMIT]
        return JsonResponse({"results": [{"id": obj.pk, "text": spec.label(obj)} for obj in rows]})


__all__ = ["AutocompleteView", "Column", "Http404", "ObjectConfig", "Related", "object_urls"]
