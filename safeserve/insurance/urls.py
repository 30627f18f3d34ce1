from django.urls import path

from safeserve.core.views import object_urls

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
