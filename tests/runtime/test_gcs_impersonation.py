"""The GCS store acts as the stack user service account the stack config's ``auth`` names."""

from __future__ import annotations

from datetime import UTC, datetime

import google.auth
from google.auth import impersonated_credentials
from google.auth.credentials import AnonymousCredentials

from provisioner.runtime.stores import open_store
from provisioner.stackconfig import AuthReference, ComponentConnection, Provenance, StackConfig

USER = "gcp-orchestrator-user@ml-research-1234.iam.gserviceaccount.com"


def stack(auth: AuthReference, endpoints: dict[str, str] | None = None) -> StackConfig:
    return StackConfig(
        name="gcp",
        cloud="gcp",
        location={"project": "ml-research-1234", "region": "europe-west4"},
        components={
            "artifact_store": ComponentConnection(
                flavor="gcs",
                config={"uri": "gs://b/artifacts", "gcp": {"project": "ml-research-1234"}},
            )
        },
        auth=auth,
        endpoints=endpoints or {},
        provenance=Provenance(
            recipe="gcp-recipe",
            definition="gcp.yaml",
            engine="pulumi",
            state="file:///state",
            deployed_at=datetime.now(UTC),
        ),
    )


def test_the_reader_impersonates_the_named_service_account(monkeypatch):
    # The reader's own credentials (ADC); nothing is fetched until a request is made.
    monkeypatch.setattr(google.auth, "default", lambda scopes=None: (AnonymousCredentials(), None))
    store = open_store(stack(AuthReference(method="gcp-service-account", gcp_service_account=USER)))
    creds = store.client._credentials
    assert isinstance(creds, impersonated_credentials.Credentials)
    assert creds.service_account_email == USER
    assert store.client.project == "ml-research-1234"


def test_an_emulator_endpoint_takes_no_credentials(monkeypatch):
    def no_adc(scopes=None):
        raise AssertionError("an emulator needs no Google credentials")

    monkeypatch.setattr(google.auth, "default", no_adc)
    store = open_store(
        stack(
            AuthReference(method="gcp-service-account", gcp_service_account=USER),
            {"gcs": "http://127.0.0.1:9"},
        )
    )
    assert isinstance(store.client._credentials, AnonymousCredentials)
