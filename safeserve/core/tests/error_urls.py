"""The project's URLs plus three views that fail, for the error-page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from safeserve.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("secret internals: SELECT * FROM accounts_user")


def suspicious(request):
    raise SuspiciousOperation("forged input")


def denied(request):
    raise PermissionDenied


urlpatterns = [
    path("__test__/boom/", boom),
    path("__test__/suspicious/", suspicious),
    path("__test__/denied/", denied),
    *project_urlpatterns,
]
