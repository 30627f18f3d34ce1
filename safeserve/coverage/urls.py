from django.urls import path

from safeserve.core.views import object_urls

from . import views

app_name = "coverage"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("trend/", views.TrendView.as_view(), name="trend"),
    path("work-list/", views.WorkListView.as_view(), name="work_list"),
]
for config, prefix in views.CONFIGS.values():
    urlpatterns += object_urls(config, prefix)
