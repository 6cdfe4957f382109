from __future__ import annotations

from django.urls import path

from finops.views import features, overview

app_name = "finops"

urlpatterns = [
    path("", overview.home, name="home"),
    path("p/<slug:slug>/", overview.overview, name="overview"),
    path("p/<slug:slug>/features/", features.features, name="features"),
]
