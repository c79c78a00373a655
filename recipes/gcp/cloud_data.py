"""GCP values checked offline: regions and GKE release channels.

Taken from Google Cloud's published region list; refresh it when Google adds regions.
"""

from __future__ import annotations

#: When the list was taken; errors name it, so a user can tell stale data from a typo.
AS_OF = "2026-02-12, cloud.google.com/compute/docs/regions-zones"

REGIONS: tuple[str, ...] = (
    "africa-south1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "europe-west1",
    "europe-west10",
    "europe-west12",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "northamerica-south1",
    "southamerica-east1",
    "southamerica-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
)

#: GKE release channels. EXTENDED keeps a minor version up to 24 months, billed as extended
#: support for the time past standard support; the others cost the same.
RELEASE_CHANNELS: tuple[str, ...] = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
