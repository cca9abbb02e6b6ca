"""Supply chain: pinned chart and image, known builds, no chart-side provisioning, no known-vulnerable server."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components import tokens
from components.model.versions import COMMUNITY_IMAGE_REPOSITORY, EXACT_VERSION
from policies.engine_values import as_list, as_mapping, release_values

# The chart's post-install Job creates these with `mc` and never deletes or rotates them; `users` even defaults to
# a console/console123 consoleAdmin. The MinIO provider manages all of them instead.
CHART_PROVISIONING_LISTS = ("users", "policies", "buckets", "svcaccts", "customCommands")


COMMUNITY_IMAGE_REPOSITORIES = frozenset({COMMUNITY_IMAGE_REPOSITORY, "minio/minio", "docker.io/minio/minio"})


COMMUNITY_IMAGE_ADVISORIES = (
    "CVE-2025-31489 (unsigned-trailer signature not validated)",
    "a service-account sub-policy bypass fixed in RELEASE.2025-10-15T17-29-55Z, which has no community image",
    "CVE-2026-41145 (no community fix)",
)


def validate_pinned_chart_and_image(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    version = str(args.props.get("version") or "")
    if not EXACT_VERSION.match(version):
        report(f"chart version {version!r} is not an exact semantic version such as '5.4.0'", None)
    tag = str(as_mapping(release_values(args.props).get("image")).get("tag") or "")
    if tag.split("@", 1)[0] in ("", "latest"):
        report(
            f"values.image.tag {tag!r} is not pinned: set a release tag (the chart default is the last, "
            "known-vulnerable community image)",
            None,
        )


def validate_image_provenance(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    image = as_mapping(release_values(args.props).get("image"))
    repository, tag = str(image.get("repository") or ""), str(image.get("tag") or "")
    if "@sha256:" not in tag:
        report(f"image {repository}:{tag} has no digest; pin 'tag@sha256:...' so the bytes cannot change", None)
    if repository in COMMUNITY_IMAGE_REPOSITORIES and tag.startswith("RELEASE."):
        report(
            f"{repository}:{tag.split('@', 1)[0]} is a community MinIO image; no community image fixes "
            f"{'; '.join(COMMUNITY_IMAGE_ADVISORIES)}. Use a patched build.",
            None,
        )


def validate_chart_provisioning_disabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    values = release_values(args.props)
    for key in CHART_PROVISIONING_LISTS:
        if key not in values:
            report(f"values.{key} is not set; the chart default provisions through a hook Job. Set it to []", None)
        elif as_list(values[key]):
            report(f"values.{key} is not empty; manage these with the MinIO provider, not the chart's hook Job", None)


ADVISORY_TABLE_PATH = Path(__file__).with_name("minio_advisories.json")


RELEASE_TAG = re.compile(r"^(RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)(.*)$")


IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


# Docker Hub's names for itself; a first path component without '.' or ':' (and not localhost) is Docker Hub too.
DOCKER_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class Advisory:
    id: str
    cve: str | None
    summary: str
    fixed_in: str | None
    source: str

    @property
    def label(self) -> str:
        return f"{self.id} ({self.cve})" if self.cve else self.id


@dataclass(frozen=True)
class KnownBuild:
    repository: str
    release: str
    digest: str
    source: str


def load_advisory_table(path: Path = ADVISORY_TABLE_PATH) -> tuple[tuple[Advisory, ...], tuple[KnownBuild, ...]]:
    table = json.loads(path.read_text())
    advisories = tuple(
        Advisory(a["id"], a.get("cve"), a["summary"], a.get("fixedIn"), a["source"]) for a in table["advisories"]
    )
    builds = tuple(KnownBuild(b["repository"], b["release"], b["digest"], b["source"]) for b in table["builds"])
    return advisories, builds


ADVISORIES, KNOWN_BUILDS = load_advisory_table()


ADVISORY_IDS = tuple(a.id for a in ADVISORIES)


DECLARED_BUILDS_SCHEMA = {
    "declaredBuilds": {
        "type": "array",
        "default": [],
        "description": (
            "Builds the advisory table does not know: per image digest, the advisory ids (policies/"
            "minio_advisories.json) whose fixes the build carries."
        ),
        "items": {
            "type": "object",
            "properties": {
                "digest": {"type": "string", "pattern": IMAGE_DIGEST.pattern},
                "fixes": {"type": "array", "items": {"type": "string", "enum": list(ADVISORY_IDS)}},
            },
            "required": ["digest", "fixes"],
            "additionalProperties": False,
        },
    }
}


@dataclass(frozen=True)
class ServerImage:
    repository: str
    tag: str
    digest: str  # "" when the tag carries none

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}" + (f"@{self.digest}" if self.digest else "")


def server_image(values: Mapping[str, Any]) -> ServerImage:
    image = as_mapping(values.get("image"))
    tag, _, digest = str(image.get("tag") or "").partition("@")
    return ServerImage(str(image.get("repository") or ""), tag, digest)


def docker_hub_path(repository: str) -> str | None:
    """The Docker Hub repository path of an image repository, or None when it lives on another registry."""
    first, _, rest = repository.partition("/")
    if first in DOCKER_HUB_HOSTS:
        return rest
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        return repository if rest else f"library/{repository}"
    return None


def known_build(image: ServerImage) -> KnownBuild | None:
    return next((b for b in KNOWN_BUILDS if image.digest and b.digest == image.digest), None)


def server_release(image: ServerImage) -> str | None:
    """The MinIO release the image runs: the table's for a known digest, else the RELEASE tag's (a suffix such as
    `.hotfix.<commit>` or `-cpuv1` keeps its base release: the table cannot tell what a hotfix adds)."""
    build = known_build(image)
    if build:
        return build.release
    match = RELEASE_TAG.match(image.tag)
    return match.group(1) if match else None


def declared_fixes(config: Mapping[str, Any], image: ServerImage) -> tuple[frozenset[str] | None, list[str]]:
    """(the advisory ids declared fixed for the image's digest, or None if it is not declared; config problems)."""
    problems: list[str] = []
    fixes: frozenset[str] | None = None
    for index, entry in enumerate(as_list(config.get("declaredBuilds"))):
        entry = as_mapping(entry)
        where = f"declaredBuilds[{index}]"
        digest = str(entry.get("digest") or "")
        ids = [str(i) for i in as_list(entry.get("fixes"))]
        if not IMAGE_DIGEST.match(digest):
            problems.append(f"{where}.digest {digest!r} is not a digest sha256:<64 hex digits>")
        unknown = [i for i in ids if i not in ADVISORY_IDS]
        if unknown:
            problems.append(f"{where}.fixes names unknown advisories {unknown}; known: {', '.join(ADVISORY_IDS)}")
        if digest == image.digest and not unknown:
            fixes = frozenset(ids) | (fixes or frozenset())
    return fixes, problems


def open_advisories(release: str, fixed: frozenset[str]) -> list[Advisory]:
    """The table's advisories that affect `release` and that the build is not declared to fix."""
    return [a for a in ADVISORIES if a.id not in fixed and (a.fixed_in is None or release < a.fixed_in)]


def validate_known_vulnerable_server(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    image = server_image(release_values(args.props))
    fixes, problems = declared_fixes(as_mapping(args.get_config()), image)
    for problem in problems:
        report(f"policy config known-vulnerable-server.{problem}", None)
    hub = docker_hub_path(image.repository)
    if hub is not None and hub.startswith("minio/"):
        report(
            f"image {image.reference} is on Docker Hub's minio/ organisation, which MinIO deleted (2026-09): it "
            "cannot be pulled. Ship a build from another registry (README, 'MinIO support situation').",
            None,
        )
    release = server_release(image)
    if release is None:
        return  # not a release this table can place: unknown-server-build asks for a declaration
    fixable = [a for a in open_advisories(release, fixes or frozenset()) if a.fixed_in is not None]
    if fixable:
        first_fixed = max(str(a.fixed_in) for a in fixable)
        report(
            f"image {image.reference} runs MinIO {release}, affected by "
            f"{', '.join(a.label for a in fixable)}; first fixed in {first_fixed}. Ship {first_fixed} or later, "
            "or declare the fixes this build carries (policy config declaredBuilds).",
            None,
        )


def validate_unknown_server_build(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    image = server_image(release_values(args.props))
    fixes, _ = declared_fixes(
        as_mapping(args.get_config()), image
    )  # config problems are known-vulnerable-server's to report
    release = server_release(image)
    if known_build(image) is None and fixes is None:
        report(
            f"image {image.reference} is a build the advisory table does not know"
            + (f" (release {release})" if release else ", nor its release")
            + ": declare in the policy config (declaredBuilds: digest and fixes) which advisories it carries "
            f"fixes for, from {', '.join(ADVISORY_IDS)}.",
            None,
        )
    if release is not None:
        unfixed = [a for a in open_advisories(release, fixes or frozenset()) if a.fixed_in is None]
        if unfixed:
            report(
                f"image {image.reference} (MinIO {release}) is affected by {', '.join(a.label for a in unfixed)}, "
                "which no community release fixes; watch the advisories and the build's repository.",
                None,
            )


PINNED_CHART_AND_IMAGE = ResourceValidationPolicy(
    name="pinned-chart-and-image",
    description="The chart version is an exact semantic version and the image tag is pinned (not empty or latest).",
    validate=validate_pinned_chart_and_image,
    enforcement_level=EnforcementLevel.MANDATORY,
)


IMAGE_PROVENANCE = ResourceValidationPolicy(
    name="image-provenance",
    description="The MinIO image is pinned by digest and is not a community build with known, unfixed CVEs.",
    validate=validate_image_provenance,
    enforcement_level=EnforcementLevel.ADVISORY,
)


CHART_PROVISIONING_DISABLED = ResourceValidationPolicy(
    name="chart-provisioning-disabled",
    description=(
        "The chart's users, policies, buckets, svcaccts and customCommands are set and empty: its hook Job "
        "never deletes or rotates what it creates, and the default user is console/console123 with consoleAdmin."
    ),
    validate=validate_chart_provisioning_disabled,
    enforcement_level=EnforcementLevel.MANDATORY,
)


KNOWN_VULNERABLE_SERVER = ResourceValidationPolicy(
    name="known-vulnerable-server",
    description=(
        "The MinIO server is not a release with a known advisory that a later release fixes (policies/"
        "minio_advisories.json), nor a Docker Hub minio/ image (deleted upstream)."
    ),
    validate=validate_known_vulnerable_server,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=DECLARED_BUILDS_SCHEMA),
)


UNKNOWN_SERVER_BUILD = ResourceValidationPolicy(
    name="unknown-server-build",
    description=(
        "The MinIO image is a build the advisory table knows (or one the stack declares fixes for); advisories "
        "no community release fixes are named."
    ),
    validate=validate_unknown_server_build,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(properties=DECLARED_BUILDS_SCHEMA),
)
