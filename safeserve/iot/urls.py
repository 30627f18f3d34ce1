from django.urls import path

from safeserve.core.views import ObjectDeleteView, object_urls

from . import views

app_name = "iot"


def _device_urls():
    c = views.DEVICE
    return [
        path("devices/", views.ObjectListView.as_view(config=c), name="device_list"),
        path("devices/export.xlsx", views.ObjectExportView.as_view(config=c), name="device_export"),
        path("devices/add/", views.DeviceEditView.as_view(config=c), name="device_add"),
        path("devices/<int:pk>/", views.DevicePageView.as_view(config=c), name="device_detail"),
        path("devices/<int:pk>/edit/", views.DeviceEditView.as_view(config=c), name="device_edit"),
        path("devices/<int:pk>/delete/", ObjectDeleteView.as_view(config=c), name="device_delete"),
        path("devices/<int:pk>/rotate-secret/", views.DeviceRotateView.as_view(), name="device_rotate"),
    ]


urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    *_device_urls(),
    *object_urls(views.PROFILE, "profiles"),
    path("alarms/", views.ReadOnlyListView.as_view(config=views.ALARM), name="alarm_list"),
    path("alarms/export.xlsx", views.ReadOnlyExportView.as_view(config=views.ALARM), name="alarm_export"),
    path("alarms/<int:pk>/", views.AlarmPageView.as_view(config=views.ALARM), name="alarm_page"),
    path("dead-letters/", views.ReadOnlyListView.as_view(config=views.DEAD_LETTER), name="deadletter_list"),
    path(
        "dead-letters/export.xlsx", views.ReadOnlyExportView.as_view(config=views.DEAD_LETTER), name="deadletter_export"
    ),
    path(
        "dead-letters/<int:pk>/", views.ReadOnlyDetailView.as_view(config=views.DEAD_LETTER), name="deadletter_detail"
    ),
]
