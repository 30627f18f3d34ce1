"""API base: scoped viewsets whose writes go through the audited actions."""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from . import actions, uploads
from .fieldperms import refused_fields
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


class WritableFieldsMixin:
    """Refuses, with a 400 naming the field, a value the caller's role may not write.

    Which fields a role may write is ``core.fieldperms`` (each app's ``roles.WRITABLE_FIELDS``). A
    refused field is an error, never silently dropped, so a client learns at once that its change
    did not happen. Unchanged values (a PUT sends every field) pass; ``core.actions`` checks again.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        request = self.context.get("request")
        model = self.Meta.model
        data, m2m = {}, {}
        for name, value in attrs.items():
            try:
                many = model._meta.get_field(name).many_to_many
            except FieldDoesNotExist:  # not a model field: the serializer itself handles it
                continue
            (m2m if many else data)[name] = value
        # A model field sent but not accepted here (read-only, or not offered) is refused the same way.
        raw = getattr(self, "initial_data", None)
        for name in raw if hasattr(raw, "keys") else ():
            if name in attrs or name in data or name in m2m:
                continue
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not getattr(field, "editable", False) or field.auto_created:
                continue
            many = field.many_to_many
            value = raw.getlist(name) if many and hasattr(raw, "getlist") else raw.get(name)
            (m2m if many else data)[name] = value
        instance = self.instance if isinstance(self.instance, model) else None
        refused = refused_fields(
            actor=getattr(request, "user", None), model=model, instance=instance, data=data, m2m=m2m
        )
        if refused:
            by_source = {f.source: name for name, f in self.fields.items()}
            raise ValidationError({by_source.get(k, k): [v] for k, v in refused.items()})
        return attrs


class ScopedSerializer(WritableFieldsMixin, serializers.ModelSerializer):
    """Masks personal data the caller may not see; offers only related rows the caller may see;
    refuses fields the caller's role may not write."""

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


class VerifiedImageField(serializers.FileField):
    """One photo, checked by content and re-encoded (core/uploads.py); validates to a ``VerifiedImage``."""

    def to_internal_value(self, data):
        if not hasattr(data, "read") or not hasattr(data, "name"):
            raise ValidationError(_("请以文件形式上传照片（multipart/form-data）"), code="invalid")
        try:
            return uploads.verify_image(data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.messages, code="invalid_image") from None


def image_list_field(**kwargs) -> serializers.ListField:
    """The ``photos`` field of every API door: verified photos, at most UPLOAD_IMAGE_MAX_FILES."""
    kwargs.setdefault("max_length", uploads.limit("UPLOAD_IMAGE_MAX_FILES"))
    return serializers.ListField(child=VerifiedImageField(), **kwargs)


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
