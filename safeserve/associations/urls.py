from django.urls import path

from safeserve.core.views import ObjectDetailView, ObjectExportView, ObjectListView

from . import views

app_name = "associations"

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("inspections/", ObjectListView.as_view(config=views.INSPECTION), name="inspection_list"),
    path("inspections/export.xlsx", ObjectExportView.as_view(config=views.INSPECTION), name="inspection_export"),
    path("inspections/new/", views.InspectionPickView.as_view(), name="inspection_pick"),
    path("campaigns/<int:pk>/inspect/", views.InspectionCreateView.as_view(), name="inspection_add"),
    path("inspections/<int:pk>/", ObjectDetailView.as_view(config=views.INSPECTION), name="inspection_detail"),
    path("inspections/<int:pk>/confirm/", views.InspectionConfirmView.as_view(), name="inspection_confirm"),
    path("inspection-photos/<int:pk>/", views.InspectionPhotoView.as_view(), name="inspection_photo"),
    *views.config_urls(views.MEMBERSHIP, "members", views.MembershipEditView),
    *views.config_urls(views.CAMPAIGN, "campaigns", views.CampaignEditView),
    *views.config_urls(views.GROUP, "groups", views.GroupEditView),
]
