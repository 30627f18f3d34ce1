from django.urls import path

from safeserve.core.views import ObjectDeleteView, ObjectDetailView, ObjectExportView, ObjectListView

from . import views
from .views import USER, UserEditView

app_name = "accounts"
urlpatterns = [
    path("users/", ObjectListView.as_view(config=USER), name="user_list"),
    path("users/export.xlsx", ObjectExportView.as_view(config=USER), name="user_export"),
    path("users/add/", UserEditView.as_view(config=USER), name="user_add"),
    path("users/<int:pk>/", ObjectDetailView.as_view(config=USER), name="user_detail"),
    path("users/<int:pk>/edit/", UserEditView.as_view(config=USER), name="user_edit"),
    path("users/<int:pk>/delete/", ObjectDeleteView.as_view(config=USER), name="user_delete"),
    path("users/import/", views.AccountImportView.as_view(), name="user_import"),
    path("users/import/template.xlsx", views.AccountTemplateView.as_view(), name="user_import_template"),
    path("users/import/credentials.xlsx", views.CredentialSheetView.as_view(), name="user_import_credentials"),
    path(
        "enterprises/<int:pk>/safety-manager/",
        views.SafetyManagerAccountView.as_view(),
        name="safety_manager_account",
    ),
    path("password/invite/<str:token>/", views.InviteView.as_view(), name="invite"),
]
