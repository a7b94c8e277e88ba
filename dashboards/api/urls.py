from django.urls import path

from dashboards.api.views import HeadcountApi

urlpatterns = [path("stats/headcount/", HeadcountApi.as_view(), name="stats-headcount")]
