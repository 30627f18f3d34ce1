"""Excel roster import pages: upload -> preview (rows and every problem) -> confirm; template download.

The uploaded file stays on the server in a private temporary directory under a random token; the
token is remembered in the user's session for that kind of roster, and a confirm request is honoured
only when its token matches the session's. No path ever comes from the client. The rows are
validated again at confirmation, because the database may have changed since the preview.
"""

import json
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from safeserve.core.excel import workbook_response

from .roster_import import IMPORTERS, RowError, import_rows, max_bytes, template_sheets

SESSION_KEY = "registry_imports"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
STALE_SECONDS = 24 * 3600
ERRORS_SHOWN = 500  # on the page; the .xlsx download holds every problem


def upload_dir() -> Path:
    configured = getattr(settings, "SAFESERVE", {}).get("IMPORT_UPLOAD_DIR")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "safeserve-imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _file(token: str, suffix: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        raise Http404
    return upload_dir() / f"{token}{suffix}"


def _discard(token: str) -> None:
    for suffix in (".xlsx", ".errors.json"):
        _file(token, suffix).unlink(missing_ok=True)


def _sweep() -> None:
    """Forget uploads nobody confirmed within a day."""
    cutoff = time.time() - STALE_SECONDS
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


class ImportAccess(View):
    """Login required, then the add permission of the roster's model (403 without it)."""

    kind: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        kind = kwargs.pop("kind", None) or self.kind
        if kind not in IMPORTERS:
            raise Http404
        self.kind = kind
        self.model = IMPORTERS[kind].model
        opts = self.model._meta
        if not request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def list_url(self):
        return reverse(f"registry:{self.model._meta.model_name}_list")

    @property
    def import_url(self):
        return reverse(f"registry:{self.kind}_import")


class ImportView(ImportAccess):
    template_name = "registry/import.html"

    # -- session bookkeeping
    def _pending(self, token: str | None) -> dict | None:
        entry = self.request.session.get(SESSION_KEY, {}).get(self.kind)
        if not entry or not token or not secrets.compare_digest(entry["token"].encode(), str(token).encode()):
            return None
        return entry

    def _remember(self, token: str, name: str) -> None:
        pending = self.request.session.get(SESSION_KEY, {})
        old = pending.get(self.kind)
        if old:
            _discard(old["token"])
        pending[self.kind] = {"token": token, "name": name}
        self.request.session[SESSION_KEY] = pending

    def _forget(self) -> None:
        pending = self.request.session.get(SESSION_KEY, {})
        old = pending.pop(self.kind, None)
        if old:
            _discard(old["token"])
        self.request.session[SESSION_KEY] = pending

    # -- pages
    def render_page(self, **extra):
        opts = self.model._meta
        context = {
            "kind": self.kind,
            "verbose_name_plural": opts.verbose_name_plural,
            "list_url": self.list_url,
            "import_url": self.import_url,
            "template_url": reverse("registry:import_template", args=[self.kind]),
            "max_mb": max_bytes() // (1024 * 1024),
            "columns": IMPORTERS[self.kind].columns,
            **extra,
        }
        return render(self.request, self.template_name, context)

    def get(self, request):
        token = request.GET.get("errors")
        if token is not None:
            return self.errors_download(token)
        return self.render_page()

    def post(self, request):
        action = request.POST.get("action", "upload")
        if action == "confirm":
            return self.confirm(request.POST.get("token"))
        if action == "cancel":
            self._forget()
            messages.info(request, _("已取消本次导入"))
            return redirect(self.import_url)
        return self.upload(request.FILES.get("file"))

    def upload(self, upload):
        if upload is None:
            return self.render_page(upload_error=_("请选择要上传的 .xlsx 文件"))
        if not upload.name.lower().endswith(".xlsx"):
            return self.render_page(upload_error=_("只能上传 .xlsx 格式的 Excel 文件"))
        if upload.size > max_bytes():
            return self.render_page(
                upload_error=_("文件过大（%(size).1f MB），上限为 %(limit)d MB")
                % {"size": upload.size / 1024 / 1024, "limit": max_bytes() // (1024 * 1024)}
            )
        _sweep()
        token = secrets.token_urlsafe(24)
        path = _file(token, ".xlsx")
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        name = Path(upload.name).name[:200]
        result = import_rows(self.kind, path, actor=self.request.user, dry_run=True, filename=name)
        if result.file_error:
            path.unlink(missing_ok=True)
            return self.render_page(upload_error=result.errors[0].reason)
        self._remember(token, name)
        if result.errors:
            # Nothing to confirm: keep only the problems, for the .xlsx download.
            _file(token, ".errors.json").write_text(
                json.dumps([[e.row, e.column, e.reason] for e in result.errors], ensure_ascii=False)
            )
            path.unlink(missing_ok=True)
        return self.render_page(result=result, token=token, filename=name, **self._error_context(result))

    def _error_context(self, result):
        return {
            "error_lines": [e.display() for e in result.errors[:ERRORS_SHOWN]],
            "errors_hidden": max(0, len(result.errors) - ERRORS_SHOWN),
            "bad_rows": result.bad_rows,
        }

    def confirm(self, token):
        entry = self._pending(token)
        path = _file(entry["token"], ".xlsx") if entry else None
        if path is None or not path.exists():
            messages.error(self.request, _("上传的文件已失效，请重新上传"))
            return redirect(self.import_url)
        result = import_rows(self.kind, path, actor=self.request.user, filename=entry["name"])
        if result.errors:
            # The database changed since the preview (e.g. someone registered the same code).
            _file(entry["token"], ".errors.json").write_text(
                json.dumps([[e.row, e.column, e.reason] for e in result.errors], ensure_ascii=False)
            )
            path.unlink(missing_ok=True)
            return self.render_page(
                result=result, token=entry["token"], filename=entry["name"], **self._error_context(result)
            )
        self._forget()
        messages.success(
            self.request,
            _("已从 %(name)s 导入 %(n)d 条%(what)s")
            % {"name": entry["name"], "n": result.created, "what": self.model._meta.verbose_name_plural},
        )
        return redirect(self.list_url)

    def errors_download(self, token):
        entry = self._pending(token)
        path = _file(entry["token"], ".errors.json") if entry else None
        if path is None or not path.exists():
            raise Http404
        rows = [RowError(*item) for item in json.loads(path.read_text())]
        return workbook_response(
            _("导入问题清单"),
            [(_("导入问题"), [_("行号"), _("列名"), _("原因")], [[e.row, e.column, e.reason] for e in rows])],
        )


class TemplateView(ImportAccess):
    """The .xlsx template: headers and an example row, then the values this user may use."""

    def get(self, request):
        name = _("%(what)s导入模板") % {"what": self.model._meta.verbose_name_plural}
        return workbook_response(name, template_sheets(self.kind, request.user))
