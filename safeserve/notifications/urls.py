from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("export.xlsx", views.InboxExportView.as_view(), name="inbox_export"),
    path("<int:pk>/open/", views.OpenView.as_view(), name="open"),
    path("deliveries/", views.DeliveryListView.as_view(), name="delivery_list"),
    path("deliveries/export.xlsx", views.DeliveryExportView.as_view(), name="delivery_export"),
    path("deliveries/<int:pk>/retry/", views.DeliveryRetryView.as_view(), name="delivery_retry"),
]
