"""API base: scoped viewsets whose writes go through the audited actions."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from . import actions
from .identity import mask

ACTION_FOR_METHOD = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class ScopedSerializer(serializers.ModelSerializer):
    """Masks personal data the caller may not see; offers only related rows the caller may see."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for f in fields.values():
            target = getattr(f, "child_relation", f)
            qs = getattr(target, "queryset", None)
            if qs is not None and hasattr(qs, "visible_to"):
                target.queryset = qs.model.objects.visible_to(user)
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        pii = getattr(instance, "pii_fields", {})
        if pii and not instance.pii_visible_to(getattr(request, "user", None)):
            for name, kind in pii.items():
                if data.get(name):
                    data[name] = mask(data[name], kind)
        return data


def _as_drf(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return ValidationError({"non_field_errors": exc.messages})


# Explicit error responses for custom actions; generic operations get them from core.schema.AutoSchema.
ERRORS = {
    400: OpenApiResponse(description="输入无效:按字段列出原因"),
    401: OpenApiResponse(description="未登录"),
    403: OpenApiResponse(description="无权限"),
    404: OpenApiResponse(description="不存在或不在您的数据范围内"),
}


class ScopedModelViewSet(viewsets.ModelViewSet):
    """Reads through ``visible_to``; another town's row is a 404. Writes go through actions."""

    model = None
    select_related: tuple[str, ...] = ()
    ordering = ("-id",)

    def get_queryset(self):
        action = ACTION_FOR_METHOD.get(self.request.method, "view")
        qs = self.model.objects.visible_to(self.request.user, action)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs.order_by(*self.ordering)

    def _split(self, serializer):
        data, m2m = {}, {}
        for name, value in serializer.validated_data.items():
            field = self.model._meta.get_field(name)
            (m2m if field.many_to_many else data)[name] = value
        return data, m2m

    def perform_create(self, serializer):
        data, m2m = self._split(serializer)
        try:
            serializer.instance = actions.create_record(actor=self.request.user, model=self.model, data=data, m2m=m2m)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc

    def perform_update(self, serializer):
        data, m2m = self._split(serializer)
        try:
            serializer.instance = actions.update_record(
                actor=self.request.user, instance=serializer.instance, data=data, m2m=m2m
            )
        except DjangoValidationError as exc:
            raise _as_drf(exc) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc

    def perform_destroy(self, instance):
        from django.db.models import ProtectedError

        try:
            actions.delete_record(actor=self.request.user, instance=instance)
        except ProtectedError as exc:
            raise ValidationError({"non_field_errors": ["仍被其他记录引用,无法删除"]}) from exc
