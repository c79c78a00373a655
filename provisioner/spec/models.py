"""The stack definition models: strict, one model per cloud, discriminated by ``cloud``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from provisioner.catalog.flavor import StrictModel
from provisioner.catalog.types import Cloud, ComponentType

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
FLAVOR_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
TAG_KEY_PATTERN = r"^[A-Za-z0-9_.:/=+@ -]{1,128}$"

Name = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        description="Stack name: 2-40 chars, lowercase letters, digits and '-', starting "
        "with a letter. It prefixes every resource name.",
    ),
]


class ComponentSpec(StrictModel):
    """One component of the stack: which flavor, and that flavor's settings."""

    flavor: Annotated[str, Field(pattern=FLAVOR_PATTERN, description="Flavor name, e.g. 's3'.")]
    config: Annotated[
        dict[str, Any],
        Field(default_factory=dict, description="The flavor's settings; each flavor has a schema."),
    ]


class StackBase(StrictModel):
    """Fields every stack definition has, whatever the cloud."""

    name: Name
    description: Annotated[str, Field(default="", max_length=1000, description="Free text.")]
    tags: Annotated[
        dict[Annotated[str, Field(pattern=TAG_KEY_PATTERN)], Annotated[str, Field(max_length=256)]],
        Field(default_factory=dict, description="Tags put on every taggable resource."),
    ]
    components: Annotated[
        dict[ComponentType, ComponentSpec],
        Field(description="Component type -> {flavor, config}; at most one per type."),
    ]
    backend: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^(file|s3|gs|azblob)://.+",
            description="Pulumi state backend for the pulumi engine: file://, s3://, gs:// or "
            "azblob://. Default: a file:// backend under the provisioner home.",
        ),
    ]
    engine: Annotated[
        Literal["auto", "embedded", "pulumi"],
        Field(
            default="auto", description="Engine to deploy with; auto picks embedded when it can."
        ),
    ]

    @property
    def location(self) -> dict[str, str]:
        """The cloud's location settings, as shown in stack configs."""
        return {}


class LocalStack(StackBase):
    """A stack on this machine: directories and local services."""

    cloud: Literal["local"]


class AWSStack(StackBase):
    """A stack on AWS."""

    cloud: Literal["aws"]
    region: Annotated[
        str,
        Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="AWS region, e.g. eu-west-1."),
    ]
    profile: Annotated[
        str | None, Field(default=None, description="AWS profile to deploy with (a reference).")
    ]

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        from provisioner.recipes.aws.cloud_checks import check_region

        return check_region(value)

    @field_validator("tags")
    @classmethod
    def _aws_tags(cls, value: dict[str, str]) -> dict[str, str]:
        from provisioner.recipes.aws.cloud_checks import check_tags

        return check_tags(value)

    @property
    def location(self) -> dict[str, str]:
        return {"region": self.region}


class GCPStack(StackBase):
    """A stack on Google Cloud."""

    cloud: Literal["gcp"]
    project: Annotated[
        str,
        Field(
            pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
            description="GCP project id (6-30 lowercase letters, digits, '-'); every resource "
            "of the stack is created in it, and the APIs the recipes need are enabled in it.",
        ),
    ]
    region: Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+\d+$", description="e.g. europe-west4.")]

    @field_validator("project")
    @classmethod
    def _project_id(cls, value: str) -> str:
        if "google" in value or value.startswith("goog"):
            raise ValueError("a GCP project id cannot contain 'google' or start with 'goog'")
        return value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        from provisioner.recipes.gcp.cloud_checks import check_region

        return check_region(value)

    @field_validator("tags")
    @classmethod
    def _gcp_labels(cls, value: dict[str, str]) -> dict[str, str]:
        from provisioner.recipes.gcp.cloud_checks import check_labels

        return check_labels(value)

    @property
    def location(self) -> dict[str, str]:
        return {"project": self.project, "region": self.region}


class AzureStack(StackBase):
    """A stack on Azure: everything it creates sits in one resource group."""

    cloud: Literal["azure"]
    subscription_id: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
            description="Azure subscription id (a UUID); default: the one `az login` selected.",
        ),
    ]
    location_name: Annotated[
        str, Field(alias="location", pattern=r"^[a-z0-9]+$", description="e.g. westeurope.")
    ]
    resource_group: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[-\w._()]{0,89}[-\w_()]$",
            description="Name of the resource group the stack creates and holds everything in; "
            "default: rg-<stack name>.",
        ),
    ]

    @field_validator("location_name")
    @classmethod
    def _known_location(cls, value: str) -> str:
        from provisioner.recipes.azure.cloud_checks import check_location

        return check_location(value)

    @field_validator("tags")
    @classmethod
    def _azure_tags(cls, value: dict[str, str]) -> dict[str, str]:
        from provisioner.recipes.azure.cloud_checks import check_tags

        return check_tags(value)

    @property
    def location(self) -> dict[str, str]:
        found = {"location": self.location_name}
        if self.subscription_id:
            found["subscription_id"] = self.subscription_id
        return found


StackSpec = LocalStack | AWSStack | GCPStack | AzureStack

MODELS: dict[Cloud, type[StackBase]] = {
    Cloud.LOCAL: LocalStack,
    Cloud.AWS: AWSStack,
    Cloud.GCP: GCPStack,
    Cloud.AZURE: AzureStack,
}
