from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.AssessmentListView.as_view(), name="assessment_list"),
    path("agencies/", views.AssessmentListView.as_view(subject="agency"), name="agency_list"),
    path("agencies/default-scheme/", views.AgencySchemeDefaultView.as_view(), name="agency_scheme_default"),
    path("new/", views.AssessmentOpenView.as_view(), name="assessment_open"),
    path("<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment_detail"),
    path("<int:pk>/export.xlsx", views.AssessmentExportView.as_view(), name="assessment_export"),
    path("<int:pk>/report.pdf", views.AssessmentReportView.as_view(), name="assessment_report"),
    path("<int:pk>/finalise/", views.AssessmentFinaliseView.as_view(), name="assessment_finalise"),
    path("<int:pk>/verify/", views.AssessmentVerifyView.as_view(), name="assessment_verify"),
    path("schemes/", views.SchemeListView.as_view(), name="scheme_list"),
    path("schemes/new/", views.SchemeEditView.as_view(), name="scheme_add"),
    path("schemes/<int:pk>/", views.SchemeDetailView.as_view(), name="scheme_detail"),
    path("schemes/<int:pk>/edit/", views.SchemeEditView.as_view(), name="scheme_edit"),
    path("sheets/<int:pk>/", views.SheetDetailView.as_view(), name="sheet_detail"),
    path("scores/<int:pk>/evidence/", views.EvidenceView.as_view(), name="evidence"),
    path("scores/<int:pk>/object/", views.ObjectionRaiseView.as_view(), name="objection_raise"),
    path("scores/<int:pk>/adjust/", views.ScoreAdjustView.as_view(), name="score_adjust"),
    path("objections/<int:pk>/rule/", views.ObjectionRuleView.as_view(), name="objection_rule"),
    path("objection-files/<int:pk>/", views.ObjectionFileView.as_view(), name="objection_file"),
]
