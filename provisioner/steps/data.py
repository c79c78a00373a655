"""Ready-made data steps: validate a DataFrame against a schema, detect drift between two."""

from __future__ import annotations

from typing import Any

from provisioner.runtime.components.validator import DriftDetectedError
from provisioner.runtime.context import get_step_context
from provisioner.runtime.step import step


@step(outputs=("data",))
def validate_data(
    data: Any,
    schema: str,
    on_fail: str = "raise",
    report_name: str = "validation_report",
) -> Any:
    """Check ``data`` against a pandera schema with the stack's data validator.

    Args:
        data: a pandas DataFrame (an upstream step's output).
        schema: ``"package.module:NAME"`` of a pandera ``DataFrameSchema`` or
            ``DataFrameModel`` importable where the step runs.
        on_fail: ``"raise"`` fails the step with a readable summary; ``"warn"`` logs it.
        report_name: the step artifact holding the JSON report.

    Returns:
        ``data`` unchanged (stored once: artifacts are content-addressed), so downstream
        steps read data that passed.
    """
    validator = get_step_context().data_validator
    validator.validate(data, schema, on_fail=on_fail, report_name=report_name)
    return data


@step(outputs=("drift",))
def detect_drift(
    reference: Any,
    current: Any,
    columns: list[str] | None = None,
    fail_on_drift: bool = False,
    report_name: str = "report",
) -> dict:
    """Compare ``current`` with ``reference`` using the stack's data validator.

    The report is stored as ``report_name`` (HTML: ``provisioner run output RUN detect_drift
    report -o report.html``) and ``<report_name>_json``.

    Args:
        reference: the DataFrame the model was trained on.
        current: the new DataFrame.
        columns: the columns to compare (default: every shared column).
        fail_on_drift: fail the step when drift is detected (after storing the report).
        report_name: the name of the stored report.

    Returns:
        The drift result as JSON: ``drift_detected``, ``drifted_columns``, ``share``, per
        column scores, and the stored reports' URIs.
    """
    validator = get_step_context().data_validator
    report = validator.drift(reference, current, columns=columns, report_name=report_name)
    if fail_on_drift and report.drift_detected:
        raise DriftDetectedError(report)
    return report.to_dict()
