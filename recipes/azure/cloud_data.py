"""Azure values checked offline: locations and AKS Kubernetes versions.

Taken from `az account list-locations` (physical regions of the public cloud) and the AKS
Kubernetes release calendar; refresh it when Azure adds regions or versions.
"""

from __future__ import annotations

#: When these lists were taken; errors name it, so a user can tell stale data from a typo.
AS_OF = "2026-06, az account list-locations and the AKS release calendar"

#: Physical regions of the Azure public cloud, by their programmatic name.
LOCATIONS: tuple[str, ...] = (
    "australiacentral",
    "australiacentral2",
    "australiaeast",
    "australiasoutheast",
    "austriaeast",
    "belgiumcentral",
    "brazilsouth",
    "brazilsoutheast",
    "canadacentral",
    "canadaeast",
    "centralindia",
    "centralus",
    "chilecentral",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "francesouth",
    "germanynorth",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "jioindiacentral",
    "jioindiawest",
    "koreacentral",
    "koreasouth",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "norwaywest",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southafricawest",
    "southcentralus",
    "southeastasia",
    "southindia",
    "spaincentral",
    "swedencentral",
    "swedensouth",
    "switzerlandnorth",
    "switzerlandwest",
    "uaecentral",
    "uaenorth",
    "uksouth",
    "ukwest",
    "westcentralus",
    "westeurope",
    "westindia",
    "westus",
    "westus2",
    "westus3",
)

#: AKS Kubernetes minor versions: (generally available, end of standard support).
#: AKS creates clusters only on versions in standard support (LTS needs the Premium tier).
AKS_VERSIONS: dict[str, tuple[str, str]] = {
    "1.31": ("2024-11-01", "2025-11-30"),
    "1.32": ("2025-03-01", "2026-03-31"),
    "1.33": ("2025-06-01", "2026-06-30"),
    "1.34": ("2025-11-01", "2026-11-30"),
    "1.35": ("2026-02-01", "2027-03-31"),
    "1.36": ("2026-06-01", "2027-06-30"),
}
