"""The data validator's interface: check data against a schema, report drift and quality.

Inside a step, ``get_step_context().data_validator``; outside one,
``connect(stack).data_validator``. What a flavor can do is data
(:attr:`DataValidator.capabilities`): a method it lacks raises
:class:`UnsupportedOperationError` naming the flavors that have it. Inside a step, every
report is also stored as an artifact of the step (``provisioner run output RUN STEP NAME``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.runtime.components.base import StackComponent

log = logging.getLogger("provisioner.data_validator")

OnFail = Literal["raise", "warn"]

#: Operations a data validator may offer, and the built-in flavors that offer each.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "validate": ("pandera", "evidently"),
    "drift": ("evidently",),
    "quality": ("evidently",),
}


class UnsupportedOperationError(UserInputError):
    """The stack's data validator flavor does not offer an operation."""


class DataValidationError(Exception):
    """Data failed its schema with ``on_fail="raise"``: the step fails with this summary.

    Attributes:
        report: the whole :class:`ValidationReport`.
    """

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.summary())
        self.report = report


class DriftDetectedError(Exception):
    """Drift was detected where the caller asked to fail on it.

    Attributes:
        report: the whole :class:`DriftReport`.
    """

    def __init__(self, report: DriftReport) -> None:
        super().__init__(report.summary())
        self.report = report


@dataclass(frozen=True)
class Failure:
    """One check that failed, on one column (or on the whole frame).

    Attributes:
        column: the column, or None for a check on the frame (a missing column, a
            frame-wide check).
        check: the check as the schema names it, e.g. ``greater_than_or_equal_to(0)``.
        count: how many values (rows) failed it.
        values: the first failing values (at most the validator's bound).
        rows: the index labels of those values (None where the check has no row).
    """

    column: str | None
    check: str
    count: int
    values: list[Any]
    rows: list[Any]


@dataclass(frozen=True)
class ValidationReport:
    """What a schema validation found.

    Attributes:
        passed: no check failed.
        schema: the schema's name.
        rows: rows checked.
        columns: columns the schema checks.
        failures: every failed check, with the first failing values.
        failure_count: failing values in all (including those not listed).
        truncated: the listed values were cut to the validator's bound.
        artifact: URI of the report stored as a step artifact (None outside a step).
    """

    passed: bool
    schema: str
    rows: int
    columns: list[str]
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0
    truncated: bool = False
    artifact: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able data (what the step artifact holds)."""
        data = asdict(self)
        data.pop("artifact")
        return json.loads(json.dumps(data, default=str))

    def summary(self, limit: int = 20) -> str:
        """A readable account: one line per failed check, with examples."""
        shape = f"{self.rows} rows x {len(self.columns)} columns"
        if self.passed:
            return f"schema {self.schema!r}: {shape} passed every check"
        lines = [
            f"schema {self.schema!r}: {len(self.failures)} check(s) failed on {shape} "
            f"({self.failure_count} failing value(s)):"
        ]
        for failure in self.failures[:limit]:
            where = failure.column if failure.column is not None else "<frame>"
            head = f"  - {where}: {failure.check}: {failure.count} x"
            if not failure.values:
                lines.append(f"{head} (values not listed: the report's bound was reached)")
                continue
            shown = ", ".join(_short(v) for v in failure.values[:5])
            more = ", ..." if failure.count > min(5, len(failure.values)) else ""
            rows = [r for r in failure.rows[:5] if r is not None]
            at = f" (rows {', '.join(_short(r) for r in rows)}{more})" if rows else ""
            lines.append(f"{head} [{shown}{more}]{at}")
        if len(self.failures) > limit:
            lines.append(f"  ... and {len(self.failures) - limit} more failed checks")
        return "\n".join(lines)


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column between the reference and the current data.

    Attributes:
        column: the column.
        drifted: the test says the distributions differ.
        score: the test's statistic or p-value, as ``method`` defines it.
        method: the statistical test used.
        threshold: the score at which the column counts as drifted.
    """

    column: str
    drifted: bool
    score: float | None
    method: str
    threshold: float | None


@dataclass(frozen=True)
class DriftReport:
    """Whether the current data drifted from the reference data.

    Attributes:
        drift_detected: the share of drifted columns reached ``drift_share``.
        drifted_columns: the columns that drifted.
        share: drifted columns / columns compared.
        drift_share: the share at which drift is detected for the dataset.
        columns: per-column results.
        reference_rows: rows of the reference data.
        current_rows: rows of the current data.
        artifacts: stored step artifacts by name (HTML and JSON); empty outside a step.
    """

    drift_detected: bool
    drifted_columns: list[str]
    share: float
    drift_share: float
    columns: list[ColumnDrift]
    reference_rows: int
    current_rows: int
    artifacts: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data (what the ready-made ``detect_drift`` step returns)."""
        return json.loads(json.dumps(asdict(self), default=str))

    def summary(self) -> str:
        """One line: detected or not, and which columns."""
        n = len(self.columns)
        if not self.drift_detected:
            return (
                f"no dataset drift: {len(self.drifted_columns)} of {n} columns drifted "
                f"(share {self.share:.2f} < {self.drift_share:.2f})"
            )
        return (
            f"dataset drift detected: {len(self.drifted_columns)} of {n} columns drifted "
            f"(share {self.share:.2f} >= {self.drift_share:.2f}): "
            + ", ".join(self.drifted_columns)
        )


@dataclass(frozen=True)
class QualityReport:
    """A data quality summary of one frame.

    Attributes:
        rows: rows.
        columns: per column: dtype, missing values, distinct values, and for numbers
            min, max and mean.
        missing_values: missing cells in all.
        missing_share: missing cells per row (as Evidently reports it).
        duplicated_rows: rows that repeat an earlier row.
        artifacts: stored step artifacts by name (HTML and JSON); empty outside a step.
    """

    rows: int
    columns: dict[str, dict[str, Any]]
    missing_values: int
    missing_share: float
    duplicated_rows: int
    artifacts: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data."""
        return json.loads(json.dumps(asdict(self), default=str))


class DataValidator(StackComponent):
    """Base of every data validator client.

    Attributes:
        capabilities: the operations of :data:`OPERATIONS` the flavor offers.
    """

    type = ComponentType.DATA_VALIDATOR
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def validate(
        self,
        df: Any,
        schema: Any,
        *,
        on_fail: OnFail = "raise",
        report_name: str = "validation_report",
    ) -> ValidationReport:
        """Check a pandas DataFrame against a schema (every check, not the first failure).

        Args:
            df: the data.
            schema: the flavor's schema object (a pandera ``DataFrameSchema`` or
                ``DataFrameModel``).
            on_fail: ``"raise"`` fails with :class:`DataValidationError`; ``"warn"`` logs
                the summary and returns the report.
            report_name: the step artifact the JSON report is stored as.

        Raises:
            DataValidationError: a check failed and ``on_fail`` is ``"raise"``.
        """
        raise self._unsupported("validate")

    def drift(
        self,
        reference: Any,
        current: Any,
        *,
        columns: list[str] | None = None,
        report_name: str = "drift_report",
    ) -> DriftReport:
        """Compare two DataFrames column by column; the report says if drift was detected.

        Inside a step the report is stored as ``report_name`` (HTML) and
        ``<report_name>_json``.
        """
        raise self._unsupported("drift")

    def quality(self, df: Any, *, report_name: str = "quality_report") -> QualityReport:
        """Summarise one DataFrame's quality; stored like :meth:`drift`'s report."""
        raise self._unsupported("quality")

    def _unsupported(self, operation: str) -> UnsupportedOperationError:
        offered = " or ".join(repr(f) for f in OPERATIONS.get(operation, ()))
        return UnsupportedOperationError(
            f"the {self.flavor!r} data validator of stack {self.stack.name!r} does not offer "
            f"{operation}()",
            hint=f"use a data_validator of flavor {offered}" if offered else None,
        )


def save_step_artifact(name: str, value: Any) -> str | None:
    """Store ``value`` as an artifact of the running step; None outside a step."""
    from provisioner.runtime.context import current_step_context

    ctx = current_step_context()
    if ctx is None or ctx.artifacts is None:
        return None
    return ctx.save_artifact(name, value)


def apply_on_fail(report: ValidationReport, on_fail: OnFail) -> ValidationReport:
    """Raise, or log, a failed report as ``on_fail`` says; return it otherwise."""
    if report.passed:
        return report
    if on_fail == "raise":
        raise DataValidationError(report)
    log.warning("%s", report.summary())
    return report


def check_on_fail(on_fail: str) -> OnFail:
    """``on_fail`` if it is ``"raise"`` or ``"warn"``.

    Raises:
        UserInputError: anything else.
    """
    if on_fail not in ("raise", "warn"):
        raise UserInputError(f"on_fail must be 'raise' or 'warn', got {on_fail!r}")
    return on_fail  # type: ignore[return-value]


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
