"""Approval-gated training: a CPU-heavy step on the step operator, a Slack approval, alerts.

Run it on a stack with an alerter and a step operator (local-full-recipe has both):

    export SLACK_BOT_TOKEN=xoxb-...
    provisioner pipeline run examples/approval_pipeline.py:gated_training --stack local-full
"""

from __future__ import annotations

from provisioner.runtime import get_step_context, pipeline, step


@step(step_operator=True)
def train(turns: int) -> dict:
    """Pure-Python CPU work: on the process step operator it runs in its own process."""
    weight = 0.0
    for i in range(turns):
        weight = (weight * 0.999 + i % 7) % 1000
    return {"weight": round(weight, 3), "accuracy": 0.93}


@step
def approve(model: dict) -> bool:
    """Post the result and wait for a person to approve the deploy in the Slack thread."""
    alerter = get_step_context().alerter
    alerter.post(f"training finished: accuracy {model['accuracy']}")
    return alerter.ask(f"Deploy the model (accuracy {model['accuracy']})?", timeout=600)


@step
def deploy(model: dict, approved: bool) -> str:
    return f"deployed weight {model['weight']}" if approved else "not deployed"


@pipeline(on_failure="alerter", on_success="alerter")
def gated_training(turns: int = 200_000):
    model = train(turns)
    deploy(model, approve(model))
