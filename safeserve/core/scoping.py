"""The one scoping mechanism: ``Model.objects.visible_to(user, action)``.

A model says which rows a user may reach through ``scope_q(user, action)`` — a ``Q`` for some
rows, ``ALL`` for every row, or ``None`` for none. Anything unknown fails closed: an anonymous or
inactive user, a user without a role or without the organisation their role hangs on, a user
without the Django permission for the action, or a model that does not answer.
"""

from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

ALL = models.Q()


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        opts = self.model._meta
        if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
            return self.none()
        if user.is_superuser:
            return self
        if not getattr(user, "has_scope", False):
            return self.none()
        scope = getattr(self.model, "scope_q", None)
        q = scope(user, action) if scope else None
        if q is None:
            return self.none()
        return self.filter(q) if q else self


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_visible_or_404(queryset_or_model, user, action: str = "view", **lookup):
    """Fetch and authorise in one call: 'missing' and 'not yours' answer the same 404."""
    qs = queryset_or_model
    if isinstance(qs, type) and issubclass(qs, models.Model):
        qs = qs.objects.all()
    try:
        return qs.visible_to(user, action).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到该记录")) from None
