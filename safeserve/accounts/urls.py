from django.urls import path

from safeserve.core.views import ObjectDeleteView, ObjectDetailView, ObjectExportView, ObjectListView

from .views import USER, UserEditView

app_name = "accounts"
urlpatterns = [
    path("users/", ObjectListView.as_view(config=USER), name="user_list"),
    path("users/export.xlsx", ObjectExportView.as_view(config=USER), name="user_export"),
    path("users/add/", UserEditView.as_view(config=USER), name="user_add"),
    path("users/<int:pk>/", ObjectDetailView.as_view(config=USER), name="user_detail"),
    path("users/<int:pk>/edit/", UserEditView.as_view(config=USER), name="user_edit"),
    path("users/<int:pk>/delete/", ObjectDeleteView.as_view(config=USER), name="user_delete"),
]
