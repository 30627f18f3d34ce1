from django.urls import path

from . import views

app_name = "tipoffs"

urlpatterns = [
    # Public (no login): file a report, follow it with code + password.
    path("report/", views.FileView.as_view(), name="file"),
    path("report/filed/", views.FiledView.as_view(), name="filed"),
    path("report/track/", views.TrackView.as_view(), name="track"),
    path("report/case/", views.CaseView.as_view(), name="case"),
    path("report/case/add/", views.CaseAddView.as_view(), name="case_add"),
    path("report/case/leave/", views.CaseLeaveView.as_view(), name="case_leave"),
    # Handling (login).
    path("tipoffs/", views.TipoffListView.as_view(), name="tipoff_list"),
    path("tipoffs/export.xlsx", views.TipoffExportView.as_view(), name="tipoff_export"),
    path("tipoffs/handlers/", views.HandlersView.as_view(), name="handlers"),
    path("tipoffs/ledger.xlsx", views.HandlerLedgerView.as_view(), name="ledger"),
    path("tipoffs/<int:pk>/", views.TipoffDetailView.as_view(), name="tipoff_detail"),
    path("tipoffs/<int:pk>/do/<str:action>/", views.TipoffStepView.as_view(), name="tipoff_step"),
    path("tipoffs/<int:pk>/reward/<str:action>/", views.RewardStepView.as_view(), name="reward_step"),
    path("tipoffs/files/<int:pk>/", views.AttachmentView.as_view(), name="attachment"),
]
