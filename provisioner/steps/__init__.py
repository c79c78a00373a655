"""Ready-made steps: put them in a pipeline and configure them with parameters.

from provisioner.steps import detect_drift, validate_data

@pipeline
def training():
    orders = validate_data(load_orders(), schema="my_project.schemas:ORDERS")
    drift = detect_drift(reference=last_month(), current=orders, fail_on_drift=True)
"""

from provisioner.steps.data import detect_drift, validate_data

__all__ = ["detect_drift", "validate_data"]
