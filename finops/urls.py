from __future__ import annotations

from django.urls import path

from finops.views import overview

app_name = "finops"

urlpatterns = [
    path("", overview.home, name="home"),
    path("p/<slug:slug>/", overview.overview, name="overview"),
]
