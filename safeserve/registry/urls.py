from django.urls import path

from safeserve.core.views import object_urls

from . import roster_views, views

app_name = "registry"

PREFIXES = {
    "town": "towns",
    "village": "villages",
    "industry": "industries",
    "enterprise": "enterprises",
    "agency": "agencies",
    "agencyqualification": "qualifications",
    "agencystaff": "agency-staff",
    "expert": "experts",
    "insurer": "insurers",
    "association": "associations",
}

urlpatterns = [
    path("enterprises/import/", roster_views.ImportView.as_view(kind="enterprise"), name="enterprise_import"),
    path("agencies/import/", roster_views.ImportView.as_view(kind="agency"), name="agency_import"),
    path("experts/import/", roster_views.ImportView.as_view(kind="expert"), name="expert_import"),
    path("import/<str:kind>/template.xlsx", roster_views.TemplateView.as_view(), name="import_template"),
    path("agency-staff/<int:pk>/deactivate/", views.StaffDeactivateView.as_view(), name="agencystaff_deactivate"),
    path("confirm/<str:kind>/<int:pk>/", views.CertificateConfirmView.as_view(), name="certificate_confirm"),
]
for config in views.CONFIGS:
    urlpatterns += object_urls(config, PREFIXES[config.key])
