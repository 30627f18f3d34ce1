"""One way to show a field's value to a user: choices, relations, booleans, dates and masking."""

from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit
from .audit import history_for
from .identity import mask


def field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:
        return name


def raw_value(obj, name: str):
    display = getattr(obj, f"get_{name}_display", None)
    if callable(display):
        return display()
    value = obj
    for part in name.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value() if callable(value) and not isinstance(value, models.Manager) else value


def display_value(obj, name: str, user) -> str:
    """The text a user sees for ``obj.<name>``; personal data masked unless they may see it."""
    pii = getattr(obj, "pii_fields", {})
    if name in pii:
        value = getattr(obj, name) or ""
        return value if obj.pii_visible_to(user, name) else mask(value, pii[name])
    value = raw_value(obj, name)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, models.Manager):
        return "、".join(str(v) for v in visible_related(value, user))
    if isinstance(value, list | tuple):  # rows a query already scoped (a prefetch ``to_attr``)
        return "、".join(str(v) for v in value)
    return str(value)


def export_value(obj, name: str, user):
    """The value of ``obj.<name>`` for a spreadsheet cell: the same text as the page (choices,
    relations, masking), but numbers stay numbers and dates stay dates (local time, naive, as
    Excel stores them)."""
    pii = getattr(obj, "pii_fields", {})
    if name in pii:
        return display_value(obj, name, user)
    value = raw_value(obj, name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date | int | float | Decimal):
        return value
    if isinstance(value, models.Manager):
        return "、".join(str(v) for v in visible_related(value, user))
    return str(value)


SYSTEM_ACTOR_LABELS = {
    "": gettext_lazy("系统"),
    audit.SYSTEM: gettext_lazy("系统"),
    audit.DEVICE: gettext_lazy("设备"),
    audit.IMPORT: gettext_lazy("数据导入"),
    "load_reference": gettext_lazy("数据导入"),
}


def actor_label(name) -> str:
    """Who acted, for people: a user's name as stored; 系统, 设备, 数据导入 or 系统定时任务 for the
    keys the platform stores when no user acted (core.audit)."""
    name = name or ""
    if name in SYSTEM_ACTOR_LABELS:
        return str(SYSTEM_ACTOR_LABELS[name])
    if name.startswith(audit.SYSTEM_JOB):
        return _("系统定时任务")
    return name


def history_rows(instance, user, limit: int = 100) -> list:
    """The audit trail of ``instance`` as ``user`` may read it (the 变更记录 panel).

    Each entry gets ``rows``: (field, before, after) for every changed field, with the model's
    ``pii_fields`` masked by the same rule as the field itself (``pii_visible_to``), so the history
    never shows what the page masks. Every page that shows a history reads it through here.
    """
    pii = getattr(instance, "pii_fields", {})
    hidden = {name: kind for name, kind in pii.items() if not instance.pii_visible_to(user, name)}
    entries = list(history_for(instance)[:limit])
    for entry in entries:
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        entry.rows = [(name, *_masked_pair(pair, hidden.get(name))) for name, pair in changes.items() if _is_pair(pair)]
    return entries


def _is_pair(pair) -> bool:
    return isinstance(pair, (list, tuple)) and len(pair) == 2


def _masked_pair(pair, kind):
    if kind is None:
        return pair[0], pair[1]
    return tuple(mask(str(v), kind) if v not in (None, "") else v for v in pair)


def visible_related(manager, user):
    """The rows of a related manager (many-to-many or reverse foreign key) that ``user`` may see.

    A record the user may see can still list rows the user may not (a county-paid contract covers
    enterprises of several towns): those are left out. A related model without scoping fails closed.
    """
    qs = manager.all()
    if not hasattr(qs, "visible_to"):
        return qs.none()
    return qs.visible_to(user)


def linked_name(obj, user, text=None):
    """``obj``'s name as a link to its page, for a model that asks to be linked wherever it is named
    (``link_everywhere = True``: the enterprise, whose page is its 360° file). Plain text when the
    user may not open such pages at all. The ``enterprise_link`` template tag and the tables and
    detail pages of every app name enterprises through here."""
    if obj is None:
        return ""
    text = str(obj) if text is None else text
    opts = obj._meta
    if not getattr(obj, "link_everywhere", False) or not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        return text
    return format_html('<a href="{}" data-link="{}">{}</a>', obj.get_absolute_url(), opts.model_name, text)


def display_html(obj, name: str, user):
    """``display_value`` for a page: a related record that is named everywhere as a link (not in exports)."""
    text = display_value(obj, name, user)
    if name in getattr(obj, "pii_fields", {}) or "__" in name:
        return text
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return text
    model = getattr(field, "related_model", None)
    if not text or model is None or not getattr(model, "link_everywhere", False):
        return text
    value = getattr(obj, name, None)
    if isinstance(value, models.Manager):
        return format_html_join("、", "{}", ((linked_name(v, user),) for v in visible_related(value, user)))
    return linked_name(value, user, text)


def cell(obj, column, user):
    """(text, badge colour or None) for one table cell."""
    text = display_html(obj, column.name, user)
    badge = None
    if column.badge:
        raw = getattr(obj, column.name, None)
        badge = column.badge.get(raw) if isinstance(raw, str) else None
        badge = badge or column.badge.get(text)
    return text, badge


def table_cells(rows) -> str:
    """``<tr><td>…</td>…</tr>`` for rows of plain values (text escaped; numbers as the template would
    write them without a thousands separator). A statistics table of 500 rows × 7 cells written by a
    template loop cost 3,500 node renders and number localisations, most of the page's CPU."""
    out = []
    for row in rows:
        out.append("<tr>")
        for value in row:
            out.append("<td>")
            if value is None:
                pass
            elif isinstance(value, int) and not isinstance(value, bool):
                out.append(str(value))
            else:
                out.append(escape(str(value)))
            out.append("</td>")
        out.append("</tr>")
    return mark_safe("".join(out))  # every value above is escaped or an int
