from django.urls import path

from safeserve.core.views import object_urls

from . import views

app_name = "hazards"

urlpatterns = [
    path("", views.HazardListView.as_view(), name="hazard_list"),
    path("export.xlsx", views.HazardExportView.as_view(), name="hazard_export"),
    path("new/", views.HazardCreateView.as_view(), name="hazard_add"),
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("<int:pk>/", views.HazardDetailView.as_view(), name="hazard_detail"),
    path("<int:pk>/plan/", views.HazardPlanView.as_view(), name="hazard_plan"),
    path("<int:pk>/notice/", views.HazardNoticeView.as_view(), name="hazard_notice"),
    path("<int:pk>/urge/", views.HazardUrgeView.as_view(), name="hazard_urge"),
    path("<int:pk>/extension/", views.ExtensionRequestView.as_view(), name="extension_request"),
    path("extensions/<int:pk>/<str:decision>/", views.ExtensionDecisionView.as_view(), name="extension_decide"),
    path("<int:pk>/do/<str:action>/", views.HazardActionView.as_view(), name="hazard_action"),
    path("visits/<int:pk>/notice/", views.VisitNoticeView.as_view(), name="visit_notice"),
    path("notices/<int:pk>.pdf", views.NoticeDownloadView.as_view(), name="notice_download"),
    path("photos/<int:pk>/", views.HazardPhotoView.as_view(), name="hazard_photo"),
]
urlpatterns += object_urls(views.CRITERION, "criteria")
