from __future__ import annotations

from django.contrib import admin

from finops.models import (
    ApiKey,
    AttributeAlias,
    DailyCustomerRollup,
    DailyOutcomeRollup,
    DailyRollup,
    DirtyDay,
    Membership,
    Project,
    SavedSearch,
)


class AliasInline(admin.TabularInline):
    model = AttributeAlias
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline, AliasInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role"]
    list_filter = ["role", "project"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    # Keys are created with `manage.py create_project` / ApiKey.issue so the raw value is
    # shown once; the admin can name, scope and revoke them but never sees the secret.
    list_display = [
        "prefix",
        "name",
        "project",
        "can_ingest",
        "can_read",
        "created_at",
        "revoked_at",
    ]
    list_filter = ["project", "can_ingest", "can_read"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AttributeAlias)
class AttributeAliasAdmin(admin.ModelAdmin):
    list_display = ["attribute_key", "dimension", "project"]
    list_filter = ["project", "dimension"]


@admin.register(DirtyDay)
class DirtyDayAdmin(admin.ModelAdmin):
    list_display = ["project", "day", "marked_at"]
    list_filter = ["project"]
    date_hierarchy = "day"


@admin.register(DailyRollup)
class DailyRollupAdmin(admin.ModelAdmin):
    # Derived rows, rewritten by finops.rollups: readable here, never edited by hand.
    list_display = ["day", "project", "feature", "template", "segment", "model", "route", "calls"]
    list_display += ["cost_usd"]
    list_filter = ["project", "model"]
    search_fields = ["feature", "template", "segment", "model", "route"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DailyOutcomeRollup)
class DailyOutcomeRollupAdmin(admin.ModelAdmin):
    list_display = ["day", "project", "feature", "segment", "action", "traces", "outcomes"]
    list_display += ["cost_usd"]
    list_filter = ["project"]
    search_fields = ["feature", "segment"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DailyCustomerRollup)
class DailyCustomerRollupAdmin(admin.ModelAdmin):
    list_display = ["day", "project", "customer", "feature", "segment", "calls", "cost_usd"]
    list_filter = ["project"]
    search_fields = ["customer", "feature", "segment"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "project", "created_at"]
    list_filter = ["project"]
    search_fields = ["name", "query"]
