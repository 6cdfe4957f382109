"""API authentication by project API key, and the one function that picks the API's project."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from finops.models import ApiKey, Project


class ApiKeyUser:
    """The principal of a request authenticated by an API key (not a Django user)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    pk = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return f"api-key:{self.key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>`` or ``x-api-key: <key>``; the key needs read rights."""

    def authenticate(self, request):
        raw = ApiKey.raw_from_headers(request.headers)
        if not raw:
            return None
        key = ApiKey.objects.matching(raw).filter(can_read=True).select_related("project").first()
        if key is None:
            raise exceptions.AuthenticationFailed("invalid, revoked or ingest-only API key")
        return ApiKeyUser(key), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def project_for_api(request) -> Project:
    """The project an API request reads: the key's, or the session user's (``?project=slug``).

    A key can only ever read its own project; a user only projects they are a member of.
    Anything else is a 404, so the API does not reveal which projects exist.
    """
    slug = request.query_params.get("project", "")
    if isinstance(request.auth, ApiKey):
        project = request.auth.project
        if slug and slug != project.slug:
            raise exceptions.NotFound(f"no project {slug!r} for this API key")
        return project
    projects = Project.objects.for_user(request.user)
    if slug:
        project = projects.filter(slug=slug).first()
        if project is None:
            raise exceptions.NotFound(f"no project {slug!r} for this user")
        return project
    found = list(projects[:2])
    if len(found) != 1:
        raise exceptions.ValidationError(
            {
                "project": "pass ?project=<slug>: this user belongs to "
                f"{'several' if found else 'no'} projects"
            }
        )
    return found[0]
