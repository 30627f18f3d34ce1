from django.urls import path

from safeserve.core.views import object_urls

from . import views

app_name = "subsidies"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("policies/<int:pk>/do/<str:action>/", views.PolicyStepView.as_view(), name="policy_step"),
    path("applications/<int:pk>/do/<str:action>/", views.ApplicationStepView.as_view(), name="application_step"),
    path("applications/<int:pk>/pay/", views.ApplicationPayView.as_view(), name="application_pay"),
    path("applications/<int:pk>/invoice/", views.InvoiceView.as_view(), name="application_invoice"),
    *views.application_urls(),
    *object_urls(views.POLICY, "policies"),
]
