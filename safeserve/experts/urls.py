from django.urls import path

from . import views

app_name = "experts"

urlpatterns = [
    path("pool/", views.ProfileListView.as_view(), name="expertprofile_list"),
    path("pool/export.xlsx", views.ProfileExportView.as_view(), name="expertprofile_export"),
    path("pool/import/", views.PoolImportView.as_view(), name="pool_import"),
    path("pool/<int:pk>/", views.ProfileDetailView.as_view(), name="profile_detail"),
    path("pool/<int:pk>/edit/", views.ProfileEditView.as_view(), name="profile_edit"),
    path("pool/<int:pk>/status/", views.ProfileStatusView.as_view(), name="profile_status"),
    path("pool/<int:pk>/absence/", views.AbsenceAddView.as_view(), name="absence_add"),
    path("pool/<int:pk>/interest/", views.InterestAddView.as_view(), name="interest_add"),
    path("pool/<int:pk>/interests/confirm/", views.InterestsConfirmView.as_view(), name="interests_confirm"),
    path("requests/", views.RequestListView.as_view(), name="expertrequest_list"),
    path("requests/export.xlsx", views.RequestExportView.as_view(), name="expertrequest_export"),
    path("requests/new/", views.RequestCreateView.as_view(), name="request_add"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request_detail"),
    path("requests/<int:pk>/freeze/", views.RequestFreezeView.as_view(), name="request_freeze"),
    path("requests/<int:pk>/draw/", views.RequestDrawView.as_view(), name="request_draw"),
    path("requests/<int:pk>/redraw/", views.RequestRedrawView.as_view(), name="request_redraw"),
    path("jobs/", views.JobListView.as_view(), name="job_list"),
    path("jobs/export.xlsx", views.JobExportView.as_view(), name="job_export"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job_detail"),
    path("jobs/<int:pk>/answer/", views.JobAnswerView.as_view(), name="job_answer"),
    path("jobs/<int:pk>/finding/", views.JobFindingView.as_view(), name="job_finding"),
    path("jobs/<int:pk>/opinion/", views.JobOpinionView.as_view(), name="job_opinion"),
    path("jobs/<int:pk>/opinion.pdf", views.JobOpinionPdfView.as_view(), name="job_opinion_pdf"),
    path("jobs/<int:pk>/rate/", views.JobRateView.as_view(), name="job_rate"),
]
