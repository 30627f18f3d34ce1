from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("status/", views.StatusView.as_view(), name="my_status"),
    path("status/<int:pk>/", views.StatusView.as_view(), name="status"),
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("sessions/<int:pk>/import/", views.AttendanceImportView.as_view(), name="attendance_import"),
    *views.config_urls(views.COURSE, "courses"),
    *views.config_urls(views.SESSION, "sessions"),
    *views.config_urls(views.ATTENDANCE, "attendance"),
    *views.config_urls(views.CERTIFICATE, "certificates"),
]
