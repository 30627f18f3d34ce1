"""DRF plumbing every API endpoint shares: a guarded JSON parser, one exception handler, bounded fields.

Whatever a client sends answers 4xx with a Chinese message, never 500 (docs/decisions/0015-input-validation.md).
Set in settings.REST_FRAMEWORK (DEFAULT_PARSER_CLASSES, EXCEPTION_HANDLER).
"""

import json
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from .validation import bound_serializer_fields

MAX_JSON_DEPTH = 32  # our deepest body (a visit with results) is 3 levels


def _reject_constant(name):
    raise ValueError(_("不支持 %(name)s") % {"name": name})


def check_json(data, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Walk a parsed body without recursion: bounded depth, finite numbers, no NUL characters."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise exceptions.ParseError(_("JSON 嵌套层数超过 %(n)s 层") % {"n": max_depth})
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for k, v in items:
                if k is not None and "\x00" in k:
                    raise exceptions.ParseError(_("JSON 中不能包含空字符（U+0000）"))
                stack.append((v, depth + 1))
        elif isinstance(value, str) and "\x00" in value:
            raise exceptions.ParseError(_("JSON 中不能包含空字符（U+0000）"))
        elif isinstance(value, float) and not math.isfinite(value):
            raise exceptions.ParseError(_("JSON 中的数值超出范围"))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a deep, NUL-carrying, NaN or malformed body is a 400 with a Chinese reason."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read() if stream is not None else b""
            data = json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except RecursionError:
            raise exceptions.ParseError(_("JSON 嵌套层数超过 %(n)s 层") % {"n": MAX_JSON_DEPTH}) from None
        except ValueError as exc:  # includes UnicodeDecodeError and ints of more than 4300 digits
            raise exceptions.ParseError(_("请求体不是有效的 JSON:%(error)s") % {"error": exc}) from None
        check_json(data)
        return data


def as_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class Conflict(exceptions.APIException):
    """409: the request is understood but the record's state forbids it (e.g. still referenced)."""

    status_code = 409
    default_code = "conflict"


def exception_handler(exc, context):
    """Django's exceptions from actions and lookups become the matching 4xx, in Chinese."""
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_validation_error(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or _("您没有执行该操作的权限"))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("未找到该记录，或它不在您的数据范围内"))
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict(_("仍被其他记录引用，无法删除"))
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("与已有记录冲突（编号或代码重复，或引用的记录不存在）")]}
        )
    elif isinstance(exc, DataError):
        exc = exceptions.ValidationError({"non_field_errors": [_("输入的数据超出数据库允许的范围")]})
    return drf_exception_handler(exc, context)


class BoundedFieldsMixin:
    """Serializer fields keep dates and numbers within core.validation's bounds."""

    def get_fields(self):
        fields = super().get_fields()
        bound_serializer_fields(fields)
        return fields


class BoundedSerializer(BoundedFieldsMixin, serializers.Serializer):
    pass


class BoundedModelSerializer(BoundedFieldsMixin, serializers.ModelSerializer):
    pass
