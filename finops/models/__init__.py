"""The finops app's models, one module per concern; import them from here.

- ``tenancy``: projects, members with roles, hashed API keys, attribute aliases.
- ``rollups``: dirty-day marks and the daily rollups dashboards read.
- ``searches``: saved trace searches.
- ``budgets``: budgets, their alert events and the deliveries of each event.
"""

from finops.models.budgets import (
    AlertDelivery,
    AlertDeliveryQuerySet,
    AlertEvent,
    AlertEventQuerySet,
    Budget,
    BudgetQuerySet,
)
from finops.models.rollups import (
    DailyCustomerRollup,
    DailyOutcomeRollup,
    DailyRollup,
    DirtyDay,
    RollupQuerySet,
)
from finops.models.searches import SavedSearch, SavedSearchQuerySet
from finops.models.tenancy import (
    API_KEY_PREFIX,
    ApiKey,
    ApiKeyQuerySet,
    AttributeAlias,
    Membership,
    Project,
    ProjectQuerySet,
    hash_api_key,
)

__all__ = [
    "API_KEY_PREFIX",
    "AlertDelivery",
    "AlertDeliveryQuerySet",
    "AlertEvent",
    "AlertEventQuerySet",
    "ApiKey",
    "ApiKeyQuerySet",
    "AttributeAlias",
    "Budget",
    "BudgetQuerySet",
    "DailyCustomerRollup",
    "DailyOutcomeRollup",
    "DailyRollup",
    "DirtyDay",
    "Membership",
    "Project",
    "ProjectQuerySet",
    "RollupQuerySet",
    "SavedSearch",
    "SavedSearchQuerySet",
    "hash_api_key",
]
