from django.conf import settings
from rest_framework import permissions


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with ``view`` required for reads (fail closed)."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }


class SchemaReaders(permissions.BasePermission):
    """The OpenAPI schema and Swagger UI: open in DEBUG (development), signed-in users otherwise.

    Read at request time, so a deployment with DEBUG off never publishes the API's map to strangers.
    """

    def has_permission(self, request, view):
        return settings.DEBUG or bool(request.user and request.user.is_authenticated)
