"""The whole schema: every model module gathered, so that Alembic and the schema test compare
all of it with the migrations (a module nobody imported would otherwise be missed)."""

from __future__ import annotations

from core.storage import (
    bank_models,
    document_models,
    experiment_models,
    figures_models,
    models,
    recurring_models,
    reward_models,
    survey_models,
)

metadata = models.Base.metadata

__all__ = [
    "bank_models",
    "document_models",
    "experiment_models",
    "figures_models",
    "metadata",
    "recurring_models",
    "reward_models",
    "survey_models",
]
