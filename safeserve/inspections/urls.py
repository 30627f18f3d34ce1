from django.urls import path

from safeserve.core.views import ObjectDetailView, ObjectExportView, ObjectListView, object_urls

from . import views

app_name = "inspections"

urlpatterns = [
    path("plans/<int:pk>/preview/", views.PlanPreviewView.as_view(), name="plan_preview"),
    path("plans/<int:pk>/draw/", views.PlanDrawView.as_view(), name="plan_draw"),
    path("draws/<int:pk>/", views.TargetDrawView.as_view(), name="targetdraw_detail"),
    path("draws/<int:pk>/value/", views.TargetDrawValueView.as_view(), name="targetdraw_value"),
    path("draws/<int:pk>/inspectors/", views.TargetDrawInspectorsView.as_view(), name="targetdraw_inspectors"),
    path("draws/<int:pk>/redraw/", views.TargetDrawRedrawView.as_view(), name="targetdraw_redraw"),
    path("targets/<int:pk>/inspectors/", views.TargetRedrawInspectorsView.as_view(), name="target_inspectors"),
    path("targets/<int:pk>/record/", views.RecordView.as_view(), name="target_record"),
    path("records/", ObjectListView.as_view(config=views.INSPECTION), name="inspection_list"),
    path("records/export.xlsx", ObjectExportView.as_view(config=views.INSPECTION), name="inspection_export"),
    path("records/add/", views.RecordView.as_view(), name="inspection_add"),
    path("records/<int:pk>/", ObjectDetailView.as_view(config=views.INSPECTION), name="inspection_detail"),
    path("records/<int:pk>/confirm/", views.InspectionConfirmView.as_view(), name="inspection_confirm"),
    path("records/<int:pk>/publish/", views.InspectionPublishView.as_view(), name="inspection_publish"),
    path("records/<int:pk>/pdf/", views.InspectionPdfView.as_view(), name="inspection_pdf"),
    path("records/<int:pk>/support/", views.InspectionSupportView.as_view(), name="inspection_support"),
    path("tasks/", views.TasksView.as_view(), name="tasks"),
    path("progress/", views.ProgressView.as_view(), name="progress"),
    path("public/", views.PublicView.as_view(), name="public"),
]
for config, prefix in views.CONFIGS.values():
    urlpatterns += object_urls(config, prefix)
