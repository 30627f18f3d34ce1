from django.urls import path

from safeserve.core.views import ObjectDetailView, ObjectExportView, ObjectListView, object_urls

from . import views

app_name = "insurance"

urlpatterns = [
    path("policies/import/", views.PolicyImportView.as_view(), name="policy_import"),
    path("policies/import/template.xlsx", views.PolicyTemplateView.as_view(), name="policy_template"),
    path("uninsured/", views.UninsuredView.as_view(), name="uninsured"),
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("insured/<int:pk>/", views.InsuredFileView.as_view(), name="insured_file"),
    path("insured/<int:pk>/export.xlsx", views.InsuredFileExportView.as_view(), name="insured_file_export"),
    path("insured/<int:pk>/file.pdf", views.InsuredFilePdfView.as_view(), name="insured_file_pdf"),
    path("complaints/<int:pk>/handle/<str:act>/", views.ComplaintActView.as_view(), name="complaint_act"),
]
for key, (config, prefix) in views.CONFIGS.items():
    edit = views.EDIT_VIEWS.get(key)
    for pattern in object_urls(config, prefix):
        if edit is not None and pattern.name in (f"{config.key}_add", f"{config.key}_edit"):
            pattern = path(str(pattern.pattern), edit.as_view(config=config), name=pattern.name)
        urlpatterns.append(pattern)

# ---- appointments (AQ 9010 advance confirmation)
urlpatterns += [
    path("appointments/", views.AppointmentListView.as_view(), name="appointment_list"),
    path("appointments/unconfirmed/", views.UnconfirmedVisitsView.as_view(), name="appointment_unconfirmed"),
    path("appointments/<int:pk>/do/<str:act>/", views.AppointmentActView.as_view(), name="appointment_act"),
    path("plans/<int:pk>/appointments/add/", views.AppointmentProposeView.as_view(), name="appointment_propose"),
]

# ---- expert prevention visits (AQ 9010: a plan served by an expert)
urlpatterns += [
    path(
        "expert-visits/",
        ObjectListView.as_view(config=views.PREVENTION_VISIT),
        name="preventionvisit_list",
    ),
    path(
        "expert-visits/export.xlsx",
        ObjectExportView.as_view(config=views.PREVENTION_VISIT),
        name="preventionvisit_export",
    ),
    path("expert-visits/new/", views.PreventionVisitCreateView.as_view(), name="preventionvisit_add"),
    path(
        "expert-visits/<int:pk>/",
        ObjectDetailView.as_view(config=views.PREVENTION_VISIT),
        name="preventionvisit_detail",
    ),
    path("expert-visits/<int:pk>/confirm/", views.PreventionVisitConfirmView.as_view(), name="preventionvisit_confirm"),
    path("expert-visit-photos/<int:pk>/", views.PreventionVisitPhotoView.as_view(), name="preventionvisit_photo"),
]
