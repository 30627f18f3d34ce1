from django.urls import path

from . import draw_views

app_name = "core"

urlpatterns = [
    path("draws/<str:number>/", draw_views.DrawVerifyView.as_view(), name="draw_verify"),
]
