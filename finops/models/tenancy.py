"""Tenancy and configuration: projects, members with roles, hashed API keys."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

API_KEY_PREFIX = "lfo_"


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user, roles: tuple[str, ...] | None = None) -> ProjectQuerySet:
        """Projects the user is a member of (with one of ``roles`` when given).

        This is the one place where page and API access to a project is scoped.
        """
        if not user.is_authenticated:
            return self.none()
        members = Membership.objects.filter(user=user)
        if roles is not None:
            members = members.filter(role__in=roles)
        return self.filter(pk__in=members.values("project_id"))

    def for_api_key(self, raw: str, *, ingest: bool = False, read: bool = False) -> Project | None:
        """The project an active API key belongs to, if the key grants the asked rights."""
        if not raw:
            return None
        keys = ApiKey.objects.matching(raw)
        if ingest:
            keys = keys.filter(can_ingest=True)
        if read:
            keys = keys.filter(can_read=True)
        return self.filter(pk__in=keys.values("project_id")).first()


class Project(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    # IANA name; budget periods (months, weeks, days) are calendar periods in this zone.
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        ENGINEER = "engineer", "Engineer"
        FINANCE = "finance", "Finance"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


def hash_api_key(raw: str) -> str:
    # Keys are 256-bit random tokens, so a fast unsalted hash is enough to make a leaked
    # table useless while keeping the per-request lookup a single indexed equality.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)

    def matching(self, raw: str) -> ApiKeyQuerySet:
        """The active key whose hash equals ``raw``'s (zero or one row)."""
        return self.active().filter(key_hash=hash_api_key(raw))


class ApiKey(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    can_ingest = models.BooleanField(default=True)
    can_read = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def raw_from_headers(headers) -> str:
        """The raw key from ``Authorization: Bearer <key>`` or ``x-api-key`` ("" when absent)."""
        scheme, _, credentials = headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        return headers.get("x-api-key", "").strip()

    @classmethod
    def issue(cls, project: Project, name: str, raw: str | None = None) -> tuple[ApiKey, str]:
        """Create a key and return it with its raw value, which is shown once, never stored."""
        raw = raw or API_KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            project=project, name=name, prefix=raw[:12], key_hash=hash_api_key(raw)
        )
        return key, raw


class AttributeAlias(models.Model):
    """A project's own attribute key for a dimension (``app.tenant_tier`` → segment)."""

    class Dimension(models.TextChoices):
        FEATURE = "feature", "Feature"
        TEMPLATE = "template", "Prompt template"
        TEMPLATE_VERSION = "template_version", "Template version"
        SEGMENT = "segment", "Customer segment"
        CUSTOMER = "customer", "Customer id"
        ROUTE = "route", "Route"
        SESSION = "session", "Session"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="aliases")
    attribute_key = models.CharField(max_length=200)
    dimension = models.CharField(max_length=32, choices=Dimension.choices)

    class Meta:
        verbose_name_plural = "attribute aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "attribute_key"], name="alias_unique_key_per_project"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_key} → {self.dimension}"

    @classmethod
    def mapping_for(cls, project_id: int) -> dict[str, str]:
        """``{attribute key: dimension}`` for one project."""
        return dict(
            cls.objects.filter(project_id=project_id).values_list("attribute_key", "dimension")
        )
