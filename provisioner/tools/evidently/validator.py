"""The ``evidently`` data validator: drift and quality reports, stored as HTML and JSON.

It validates schemas too, with pandera (a stack holds one data validator, and a pipeline
that checks drift usually checks its schema as well).
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

from provisioner.errors import UserInputError
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.components.validator import (
    ColumnDrift,
    DriftReport,
    QualityReport,
    save_step_artifact,
)
from provisioner.tools.pandera.validator import PanderaDataValidator

DEFAULT_DRIFT_SHARE = 0.5


class EvidentlyDataValidator(PanderaDataValidator):
    """Evidently reports (and pandera schema checks).

    Connection: ``{"drift_share": S, "max_failure_cases": N}``: the share of drifted
    columns at which a dataset counts as drifted, and the validation report's bound.
    """

    capabilities = frozenset({"validate", "drift", "quality"})

    @property
    def drift_share(self) -> float:
        return float(self.config.get("drift_share", DEFAULT_DRIFT_SHARE))

    def drift(
        self,
        reference: Any,
        current: Any,
        *,
        columns: list[str] | None = None,
        report_name: str = "drift_report",
    ) -> DriftReport:
        _check_frame(reference, "reference")
        _check_frame(current, "current")
        if columns is not None:
            missing = [c for c in columns if c not in reference or c not in current]
            if missing:
                raise UserInputError(
                    f"drift: columns {', '.join(map(repr, missing))} are not in both frames"
                )
        else:
            columns = [c for c in current.columns if c in reference.columns]
        if not columns:
            raise UserInputError("drift: the reference and current data share no column")
        evidently, presets = _sdk()
        report = evidently.Report(
            [presets.DataDriftPreset(columns=columns, drift_share=self.drift_share)],
            include_tests=True,
        )
        snapshot = report.run(current_data=current[columns], reference_data=reference[columns])
        data = json.loads(snapshot.json())
        result = parse_drift(data, self.drift_share, len(reference), len(current))
        stored = _store(snapshot, data, report_name)
        return DriftReport(**{**result.__dict__, "artifacts": stored})

    def quality(self, df: Any, *, report_name: str = "quality_report") -> QualityReport:
        _check_frame(df, "data")
        evidently, presets = _sdk()
        snapshot = evidently.Report([presets.DataSummaryPreset()]).run(current_data=df)
        data = json.loads(snapshot.json())
        result = parse_quality(data, {str(c): str(t) for c, t in df.dtypes.items()})
        stored = _store(snapshot, data, report_name)
        return QualityReport(**{**result.__dict__, "artifacts": stored})


def _sdk() -> tuple[Any, Any]:
    """``evidently`` and ``evidently.presets``; the deprecation warnings its own imports
    raise (numpy.core, litestar) are not the user's to act on, so they are not shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return import_sdk("evidently", "evidently"), import_sdk("evidently.presets", "evidently")


def _check_frame(df: Any, what: str) -> None:
    pd = import_sdk("pandas", "pandas")
    if not isinstance(df, pd.DataFrame):
        raise UserInputError(f"expected a pandas DataFrame as the {what}, got {type(df).__name__}")
    if df.empty:
        raise UserInputError(f"the {what} DataFrame is empty")


def _store(snapshot: Any, data: dict[str, Any], name: str) -> dict[str, str]:
    """Store the report as ``name`` (self-contained HTML) and ``<name>_json`` in a step."""
    stored: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="provisioner-report-") as tmp:
        html = Path(tmp) / f"{name}.html"
        snapshot.save_html(str(html))
        uri = save_step_artifact(name, html)
        if uri is None:
            return stored  # outside a step: nothing to store into
        stored[name] = uri
    json_uri = save_step_artifact(f"{name}_json", data)
    if json_uri is not None:
        stored[f"{name}_json"] = json_uri
    return stored


def _metric_type(metric: dict[str, Any]) -> str:
    return str(metric.get("config", {}).get("type", "")).rsplit(":", 1)[-1]


def parse_drift(
    data: dict[str, Any], drift_share: float, reference_rows: int, current_rows: int
) -> DriftReport:
    """A DriftReport from an Evidently drift snapshot's JSON (with its tests)."""
    failed = {
        t["metric_config"]["metric_id"]
        for t in data.get("tests", [])
        if t.get("id") == "drift" and str(t.get("status", "")).upper().endswith("FAIL")
    }
    columns, share = [], 0.0
    for metric in data.get("metrics", []):
        kind, config = _metric_type(metric), metric.get("config", {})
        if kind == "DriftedColumnsCount":
            share = float(metric["value"]["share"])
        elif kind == "ValueDrift":
            score = metric.get("value")
            columns.append(
                ColumnDrift(
                    column=str(config["column"]),
                    drifted=metric["id"] in failed,
                    score=None if score is None else float(score),
                    method=str(config.get("method", "")),
                    threshold=config.get("threshold"),
                )
            )
    drifted = [c.column for c in columns if c.drifted]
    if columns:
        share = len(drifted) / len(columns)
    return DriftReport(
        drift_detected=share >= drift_share,
        drifted_columns=drifted,
        share=share,
        drift_share=drift_share,
        columns=columns,
        reference_rows=reference_rows,
        current_rows=current_rows,
    )


#: Evidently metric -> the key of its value in a column's quality summary.
_COLUMN_METRICS = {
    "MinValue": "min",
    "MaxValue": "max",
    "MeanValue": "mean",
    "StdValue": "std",
}


def parse_quality(data: dict[str, Any], dtypes: dict[str, str]) -> QualityReport:
    """A QualityReport from an Evidently data summary snapshot's JSON."""
    columns: dict[str, dict[str, Any]] = {c: {"dtype": t} for c, t in dtypes.items()}
    rows, missing, missing_share, duplicated = 0, 0, 0.0, 0
    for metric in data.get("metrics", []):
        kind, config, value = _metric_type(metric), metric.get("config", {}), metric.get("value")
        column = config.get("column")
        if kind == "RowCount":
            rows = int(value)
        elif kind == "DuplicatedRowCount":
            duplicated = int(value)
        elif kind == "DatasetMissingValueCount":
            missing, missing_share = int(value["count"]), float(value["share"])
        elif column in columns and kind == "MissingValueCount":
            columns[column]["missing"] = int(value["count"])
        elif column in columns and kind == "UniqueValueCount":
            columns[column]["distinct"] = len(value.get("counts", {}))
        elif column in columns and kind in _COLUMN_METRICS:
            columns[column][_COLUMN_METRICS[kind]] = None if value is None else float(value)
    return QualityReport(
        rows=rows,
        columns=columns,
        missing_values=missing,
        missing_share=missing_share,
        duplicated_rows=duplicated,
    )
