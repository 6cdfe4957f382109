from __future__ import annotations

from django.urls import path

from finops.api import calls

app_name = "api"

urlpatterns = [
    path("calls/", calls.CallList.as_view(), name="call-list"),
]
