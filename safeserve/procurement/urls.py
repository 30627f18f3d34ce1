from django.urls import path

from . import views

app_name = "procurement"

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="project_list"),
    path("projects/export.xlsx", views.ProjectExportView.as_view(), name="project_export"),
    path("projects/add/", views.ProjectEditView.as_view(), name="project_add"),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("projects/<int:pk>/edit/", views.ProjectEditView.as_view(), name="project_edit"),
    path("projects/<int:pk>/step/<str:action>/", views.ProjectStepView.as_view(), name="project_step"),
    path("projects/<int:pk>/bids/", views.BidAddView.as_view(), name="bid_add"),
    path("projects/<int:pk>/award/", views.AwardView.as_view(), name="award"),
    path("projects/<int:pk>/evaluate/", views.EvaluateView.as_view(), name="evaluate"),
    path("projects/<int:pk>/payments/", views.PaymentAddView.as_view(), name="payment_add"),
    path("budget/", views.BudgetView.as_view(), name="budget"),
    path("budget/export.xlsx", views.BudgetExportView.as_view(), name="budget_export"),
    path("public/", views.PublicView.as_view(), name="public"),
]
