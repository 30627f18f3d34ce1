from django.urls import path

from safeserve.core.views import object_urls

from . import views

app_name = "supervision"

urlpatterns = [
    path("notices/<int:pk>/decide/", views.NoticeDecideView.as_view(), name="notice_decide"),
    path("rounds/", views.RoundListView.as_view(), name="round_list"),
    path("rounds/new/", views.RoundCreateView.as_view(), name="round_add"),
    path("rounds/<int:pk>/", views.RoundDetailView.as_view(), name="round_detail"),
    path("rounds/<int:pk>/draw/", views.RoundDrawView.as_view(), name="round_draw"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("items/<int:pk>/recheck/", views.RecheckView.as_view(), name="item_recheck"),
    path("items/<int:pk>/assign/", views.AssignExpertView.as_view(), name="item_assign"),
    path("items/<int:pk>/propose/", views.ProposeView.as_view(), name="item_propose"),
    path("recheck-photos/<int:pk>/", views.RecheckPhotoView.as_view(), name="recheck_photo"),
    path("agencies/", views.AgencyFileListView.as_view(), name="agency_files"),
    path("agencies/<int:pk>/", views.AgencyFileView.as_view(), name="agency_file"),
    path("agencies/<int:pk>/misconduct/", views.AgencyMisconductView.as_view(), name="agency_misconduct"),
    path("agencies/<int:pk>/export.xlsx", views.AgencyFileExportView.as_view(), name="agency_file_export"),
    path("agencies/<int:pk>/file.pdf", views.AgencyFilePdfView.as_view(), name="agency_file_pdf"),
]
for config, prefix in views.CONFIGS.values():
    urlpatterns += object_urls(config, prefix)
