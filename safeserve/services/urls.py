from django.urls import path

from safeserve.core.views import object_urls

from . import views

app_name = "services"

urlpatterns = [
    path(
        "contracts/<int:pk>/transition/<str:action>/",
        views.ContractTransitionView.as_view(),
        name="contract_transition",
    ),
    path(
        "contracts/enterprise-search/", views.ContractEnterpriseSearchView.as_view(), name="contract_enterprise_search"
    ),
    path("contracts/staff-options/", views.ContractStaffOptionsView.as_view(), name="contract_staff_options"),
    path("contracts/<int:pk>/scan/", views.ContractScanView.as_view(), name="contract_scan"),
    path("visits/", views.VisitListView.as_view(), name="visit_list"),
    path("visits/export.xlsx", views.VisitExportView.as_view(), name="visit_export"),
    path("visits/new/", views.VisitCreateView.as_view(), name="visit_add"),
    path("visits/due/", views.VisitsDueView.as_view(), name="visit_due"),
    path("visits/<int:pk>/", views.VisitDetailView.as_view(), name="visit_detail"),
    path("visits/<int:pk>/rate/", views.VisitRateView.as_view(), name="visit_rate"),
    path("visit-photos/<int:pk>/", views.VisitPhotoView.as_view(), name="visit_photo"),
    path("visit-photos/pending/", views.PendingPhotoUploadView.as_view(), name="pending_photo_add"),
    path("visit-photos/pending/<int:pk>/", views.PendingPhotoView.as_view(), name="pending_photo"),
    path("visits/<int:pk>/confirm-code/", views.VisitConfirmCodeView.as_view(), name="visit_confirm_code"),
    path("visits/<int:pk>/confirm/", views.VisitConfirmView.as_view(), name="visit_confirm"),
    path("confirm/<int:pk>/", views.VisitConfirmPublicView.as_view(), name="visit_confirm_public"),
    path("ratings/", views.RatingsView.as_view(), name="ratings"),
]
for config, prefix in views.CONFIGS.values():
    urlpatterns += object_urls(config, prefix)
