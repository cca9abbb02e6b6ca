"""What the project pins or refuses of the chart and the server image: read by the config model and the policy pack."""

from __future__ import annotations

import re

OFFICIAL_CHART_REPO = "https://charts.min.io/"
OFFICIAL_CHART_VERSION = "5.4.0"
# The last community image; known-vulnerable (see README "MinIO support situation"), so stacks pin their own.
COMMUNITY_IMAGE_REPOSITORY = "quay.io/minio/minio"
COMMUNITY_IMAGE_TAG = "RELEASE.2024-12-18T13-15-44Z"
# A chart version Helm resolves to exactly one release: a full semantic version, no range.
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
