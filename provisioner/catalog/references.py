"""References to secrets a component needs at run time: where they live, never their value."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from provisioner.catalog.flavor import StrictModel

EnvVarName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description="An environment variable's NAME."),
]


class EnvSecret(StrictModel):
    """A secret in an environment variable of whoever runs the pipeline."""

    source: Literal["env"]
    name: EnvVarName


class AWSSecret(StrictModel):
    """A secret in AWS Secrets Manager, read with the stack's AWS auth reference."""

    source: Literal["aws"]
    secret_id: Annotated[
        str,
        Field(min_length=1, max_length=2048, description="The secret's ARN or name."),
    ]
    region: Annotated[
        str | None,
        Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$", description="Default: the ARN's."),
    ]
    key: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            description="A key of a JSON secret; default: the whole value.",
        ),
    ]


class GCPSecret(StrictModel):
    """A secret in GCP Secret Manager, read with Application Default Credentials."""

    source: Literal["gcp"]
    secret: Annotated[
        str,
        Field(
            pattern=r"^projects/[^/]+/secrets/[^/]+(/versions/[^/]+)?$",
            description="projects/P/secrets/S[/versions/V] (default version: latest).",
        ),
    ]


class AzureSecret(StrictModel):
    """A secret in an Azure Key Vault, read with DefaultAzureCredential."""

    source: Literal["azure"]
    vault_url: Annotated[
        str,
        Field(pattern=r"^https://[a-z0-9-]+\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)/?$"),
    ]
    secret: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,127}$")]


#: Where a secret lives, told apart by ``source``: env, aws, gcp or azure.
SecretReference = Annotated[
    EnvSecret | AWSSecret | GCPSecret | AzureSecret, Field(discriminator="source")
]
