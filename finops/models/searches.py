"""Saved trace searches: a user's named query string of the Traces page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from finops.models.tenancy import Project


class SavedSearchQuerySet(models.QuerySet):
    def for_user_in(self, user, project_id: int):
        """A user's saved searches in one project, by name."""
        return self.filter(user=user, project_id=project_id).order_by("name")


class SavedSearch(models.Model):
    """A named trace search of one user in one project; ``query`` is the page's URL query
    string (filters, sort), without the cursor."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_searches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    query = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "saved searches"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user", "name"], name="savedsearch_unique_name_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
