"""API base: scoped viewsets whose writes go through the audited actions."""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField

from . import actions, uploads
from .drf import BoundedFieldsMixin, Conflict
from .fieldperms import refused_fields
from .identity import mask
from .views import protected_message

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


def _request_user(context):
    return getattr(context.get("request"), "user", None)


class VisibleManyRelatedField(ManyRelatedField):
    """A to-many relation that lists only the related rows the caller may see.

    A contract the caller may see can cover enterprises the caller may not (a county-paid contract
    of two towns): their ids are left out. The visible ids for every instance being serialised are
    read in one query, so a list costs the same whatever its length.
    """

    def get_attribute(self, instance):
        related = list(super().get_attribute(instance))
        if not related:
            return related
        model = type(related[0])
        if not hasattr(model.objects, "visible_to"):
            return []  # fail closed: an unscoped related model is not listed
        cache = self.root.__dict__.setdefault("_visible_related", {}).setdefault(self.field_name, {})
        if any(obj.pk not in cache for obj in related):
            root = self.root.instance
            instances = list(root) if isinstance(root, (list, tuple)) or hasattr(root, "model") else [root]
            if instance not in instances:
                instances = [instance]
            ids = {obj.pk for i in instances if i is not None for obj in ManyRelatedField.get_attribute(self, i)}
            ids |= {obj.pk for obj in related}
            user = getattr(self.context.get("request"), "user", None)
            visible = set(model.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
            cache.update({pk: pk in visible for pk in ids})
        return [obj for obj in related if cache.get(obj.pk)]


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """Primary-key relation whose ``many=True`` form lists only rows the caller may see."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return VisibleManyRelatedField(**list_kwargs)


class ScopedSerializer(WritableFieldsMixin, BoundedFieldsMixin, serializers.ModelSerializer):
    """Masks personal data the caller may not see; offers and lists only related rows the caller may see;
    refuses fields the caller's role may not write; keeps dates and numbers in bounds (core.validation)."""

    serializer_related_field = ScopedPrimaryKeyRelatedField

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
        user = getattr(request, "user", None)
        for name, kind in pii.items():
            if data.get(name) and not instance.pii_visible_to(user, name):
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


# Explicit error responses for custom actions; generic operations get them from core.schema.AutoSchema.
ERRORS = {
    400: OpenApiResponse(description="输入无效：按字段列出原因"),
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
        # Django's ValidationError / PermissionDenied become 400 / 403 in core.drf.exception_handler.
        serializer.instance = actions.create_record(actor=self.request.user, model=self.model, data=data, m2m=m2m)

    def perform_update(self, serializer):
        data, m2m = self._split(serializer)
        serializer.instance = actions.update_record(
            actor=self.request.user, instance=serializer.instance, data=data, m2m=m2m
        )

    def perform_destroy(self, instance):
        try:
            actions.delete_record(actor=self.request.user, instance=instance)
        except ProtectedError as exc:
            raise Conflict(protected_message(instance, exc)) from exc  # names what still refers to it
