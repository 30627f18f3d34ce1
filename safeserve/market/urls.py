from django.urls import path

from safeserve.core.views import ObjectDeleteView, ObjectDetailView, ObjectExportView, ObjectListView, object_urls

from . import views

app_name = "market"


def _case_urls():
    c = views.CASE
    return [
        path("market/cases/", ObjectListView.as_view(config=c), name="casestory_list"),
        path("market/cases/export.xlsx", ObjectExportView.as_view(config=c), name="casestory_export"),
        path("market/cases/add/", views.CaseEditView.as_view(config=c), name="casestory_add"),
        path("market/cases/<int:pk>/", ObjectDetailView.as_view(config=c), name="casestory_detail"),
        path("market/cases/<int:pk>/edit/", views.CaseEditView.as_view(config=c), name="casestory_edit"),
        path("market/cases/<int:pk>/delete/", ObjectDeleteView.as_view(config=c), name="casestory_delete"),
        path("market/cases/<int:pk>/do/<str:action>/", views.CaseTransitionView.as_view(), name="case_transition"),
        path("market/cases/<int:pk>/photo/", views.CasePhotoUploadView.as_view(), name="case_photo_upload"),
    ]


urlpatterns = [
    # Public (no login; cached; nothing personal)
    path("portal/", views.portal, name="portal"),
    path("portal/agencies/", views.directory, name="directory"),
    path("portal/agencies/<int:pk>/", views.agency, name="public_agency"),
    path("portal/compare/", views.compare, name="compare"),
    path("portal/cases/", views.cases, name="public_cases"),
    path("portal/cases/<int:pk>/", views.case, name="public_case"),
    path("portal/cases/<int:pk>/photo/", views.case_photo, name="public_case_photo"),
    path("portal/lang/<str:code>/", views.set_language, name="set_language"),
    # Working pages
    path("market/profile/", views.ProfileEditView.as_view(), name="profile_edit"),
    path("market/agencies/<int:pk>/<str:hide>/", views.AgencyHideView.as_view(), name="agency_hide"),
    *object_urls(views.PRICE, "market/prices"),
    # Needs, quotes and the road to a contract
    path("market/needs/", views.NeedListView.as_view(), name="need_list"),
    path("market/needs/add/", views.NeedAddView.as_view(), name="need_add"),
    path("market/needs/<int:pk>/", views.NeedDetailView.as_view(), name="need_detail"),
    path("market/needs/<int:pk>/do/<str:action>/", views.NeedTransitionView.as_view(), name="need_transition"),
    path("market/needs/<int:pk>/quote/", views.QuoteAddView.as_view(), name="quote_add"),
    path("market/needs/<int:pk>/compare/", views.NeedCompareView.as_view(), name="need_compare"),
    path("market/quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote_detail"),
    path("market/quotes/<int:pk>/message/", views.QuoteMessageView.as_view(), name="quote_message"),
    path("market/quotes/<int:pk>/accept/", views.QuoteAcceptView.as_view(), name="quote_accept"),
    path("market/quotes/<int:pk>/confirm/", views.QuoteConfirmView.as_view(), name="quote_confirm"),
    path("market/quotes/<int:pk>/withdraw/", views.QuoteWithdrawView.as_view(), name="quote_withdraw"),
    path("market/statistics/", views.MarketStatsView.as_view(), name="stats"),
    *object_urls(views.BAR, "market/bars"),
    *_case_urls(),
]
