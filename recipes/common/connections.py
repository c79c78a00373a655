"""Connection models of the flavors offered on every cloud."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from provisioner.catalog.flavor import Connection

#: Failing values a validation report lists at most (each failed check still counts all).
MaxFailureCases = Annotated[
    int,
    Field(
        ge=1,
        le=100_000,
        description="Most failing values a validation report lists (every failure is counted).",
    ),
]
#: Share of drifted columns at which a dataset counts as drifted.
DriftShare = Annotated[
    float,
    Field(
        gt=0,
        le=1,
        description="Share of drifted columns at which the dataset counts as drifted.",
    ),
]


class PanderaConnection(Connection):
    """``{"max_failure_cases"}``: how much of a failed validation a report lists."""

    max_failure_cases: MaxFailureCases = 100


class EvidentlyConnection(Connection):
    """``{"max_failure_cases", "drift_share"}``: the report bound, and the drift threshold."""

    max_failure_cases: MaxFailureCases = 100
    drift_share: DriftShare = 0.5
