"""Helpers shared by page views: project access (the URL filters are ``finops.filters``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from finops.models import Project


def get_project_for(
    request: HttpRequest, slug: str, roles: tuple[str, ...] | None = None
) -> Project:
    """The project ``slug`` if the user is a member (with one of ``roles``), else 404.

    404 rather than 403, so a page does not reveal that another tenant's project exists.
    """
    project = Project.objects.for_user(request.user, roles).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project")
    return project
