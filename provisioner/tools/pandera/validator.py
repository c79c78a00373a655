"""The ``pandera`` data validator: every check of a pandera schema, in one bounded report."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

from provisioner.errors import UserInputError
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.components.validator import (
    DataValidator,
    Failure,
    OnFail,
    ValidationReport,
    apply_on_fail,
    check_on_fail,
    save_step_artifact,
)

#: Failing values listed per failed check (the count covers them all).
VALUES_PER_CHECK = 10
#: Failing values listed in a whole report, unless the connection says otherwise.
DEFAULT_MAX_FAILURE_CASES = 100


class PanderaDataValidator(DataValidator):
    """Validates pandas DataFrames with pandera schemas.

    Connection: ``{"max_failure_cases": N}``, the most failing values a report lists.
    """

    capabilities = frozenset({"validate"})

    @property
    def max_failure_cases(self) -> int:
        return int(self.config.get("max_failure_cases", DEFAULT_MAX_FAILURE_CASES))

    def validate(
        self,
        df: Any,
        schema: Any,
        *,
        on_fail: OnFail = "raise",
        report_name: str = "validation_report",
    ) -> ValidationReport:
        on_fail = check_on_fail(on_fail)
        report = validate_frame(df, schema, max_failure_cases=self.max_failure_cases)
        uri = save_step_artifact(report_name, report.to_dict())
        return apply_on_fail(replace(report, artifact=uri), on_fail)


def load_schema(schema: Any) -> Any:
    """A pandera ``DataFrameSchema`` from one, from a ``DataFrameModel`` class, or from a
    ``"module:attr"`` reference to either.

    Raises:
        UserInputError: anything else, or a reference that does not import.
    """
    pa = import_sdk("pandera.pandas", "pandera")
    if isinstance(schema, str):
        from provisioner.catalog.flavor import load_object

        module, sep, attr = schema.partition(":")
        if not sep or not module or not attr:
            raise UserInputError(
                f"schema {schema!r}: expected 'package.module:NAME' naming a pandera schema"
            )
        try:
            schema = load_object(schema)
        except (ImportError, AttributeError) as exc:
            raise UserInputError(f"schema {schema!r} cannot be imported: {exc}") from None
    if isinstance(schema, type) and issubclass(schema, pa.DataFrameModel):
        return schema.to_schema()
    if isinstance(schema, pa.DataFrameSchema):
        return schema
    raise UserInputError(
        f"expected a pandera DataFrameSchema or DataFrameModel, got {type(schema).__name__}"
    )


def validate_frame(df: Any, schema: Any, *, max_failure_cases: int) -> ValidationReport:
    """Run every check of ``schema`` on ``df`` (lazily: all failures, not the first).

    Raises:
        UserInputError: ``df`` is not a pandas DataFrame, or ``schema`` is not a schema.
    """
    schema = load_schema(schema)
    pd = import_sdk("pandas", "pandas")
    if not isinstance(df, pd.DataFrame):
        raise UserInputError(f"expected a pandas DataFrame to validate, got {type(df).__name__}")
    errors = import_sdk("pandera.errors", "pandera")
    name = schema.name or "schema"
    columns = list(schema.columns)
    try:
        schema.validate(df, lazy=True)
    except errors.SchemaErrors as exc:
        failures, total, truncated = _failures(exc.failure_cases, max_failure_cases)
        return ValidationReport(
            passed=False,
            schema=name,
            rows=len(df),
            columns=columns,
            failures=failures,
            failure_count=total,
            truncated=truncated,
        )
    return ValidationReport(passed=True, schema=name, rows=len(df), columns=columns)


def _failures(cases: Any, budget: int) -> tuple[list[Failure], int, bool]:
    """Group pandera's failure cases by (column, check); list at most ``budget`` values."""
    groups: dict[tuple[str | None, str], list[tuple[Any, Any]]] = {}
    for context, column, check, value, index in zip(
        cases["schema_context"],
        cases["column"],
        cases["check"],
        cases["failure_case"],
        cases["index"],
        strict=True,
    ):
        # a frame-level check (a missing column) names the schema, not a column: name
        # the missing column instead, which is what the failure case holds
        if context == "DataFrameSchema":
            column = value if check == "column_in_dataframe" else None
        key = (None if column is None else str(column), str(check))
        groups.setdefault(key, []).append((_plain(value), _plain(index)))
    failures, listed, truncated = [], 0, False
    for (column, check), items in groups.items():
        with contextlib.suppress(TypeError):  # the first rows first, when labels compare
            items.sort(key=lambda item: (item[1] is None, item[1]))
        room = max(0, min(VALUES_PER_CHECK, budget - listed))
        shown = items[:room]
        listed += len(shown)
        truncated = truncated or len(shown) < len(items)
        failures.append(
            Failure(
                column=column,
                check=check,
                count=len(items),
                values=[v for v, _ in shown],
                rows=[i for _, i in shown],
            )
        )
    total = sum(f.count for f in failures)
    return failures, total, truncated


def _plain(value: Any) -> Any:
    """A JSON-able form of a failure case or an index label (numpy scalars, NaN, times)."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, float) and value != value:
        return None  # NaN: pandera reports "no row" this way
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)
