"""Run every policy of the CrossGuard pack over an offline plan, the way the engine would.

    python -m tools.policy_check --stack prod          # runs the program under the mock engine first
    python -m tools.policy_check --plan plan.json      # an Inventory JSON (tools.engine.Inventory.to_json())

The policy configuration is `policies/config.<stack>.json`, the file `pulumi preview --policy-pack-config` gets.
Resources are handed to the policies as the engine's analyzer does: the same SDK argument objects, properties
behind the SDK's unknown-checking proxy, numbers as floats and only the resource options the analyzer protocol
carries. Exit status: 0 without mandatory violations, 1 with any, 2 for unusable input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import jsonschema
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# The SDK signals args.not_applicable() with this private exception; the engine's analyzer catches it the same way.
# pulumi-policy internals (not public API), here only: how a policy says it cannot judge an unknown value, and the
# proxy that raises it (pulumi_policy/policy.py, proxy.py). Read at this version; tests/test_sdk_private.py pins it.
from pulumi_policy.policy import _NotApplicableError as NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from components import tokens
from policies.matih_policies import POLICIES
from tools.cli import reports_errors
from tools.engine import (
    PROJECT_DIR,
    Inventory,
    ResourceRecord,
    available_stacks,
    load_stack_config,
    project_name,
    run_stack,
)
from tools.stack_reference import platform_of

POLICY_CONFIG_DIR = PROJECT_DIR / "policies"
ALL_POLICIES = "all"  # the config key that sets every policy's enforcement level, as in Pulumi's config files

PULUMI_POLICY_VERSION = "1.21.0"


class PolicyConfigError(ValueError):
    """A policy-pack config file the engine would reject."""


class PlanFileError(ValueError):
    """A saved plan that is not an inventory JSON."""


def read_json(path: Path, error: type[ValueError]) -> Any:
    """A JSON file's content; an unreadable or malformed file raises `error` naming the file (and line)."""
    try:
        return json.loads(path.read_text())
    except OSError as problem:
        raise error(f"{path}: {problem.strerror}") from None
    except json.JSONDecodeError as problem:
        raise error(f"{path}:{problem.lineno}:{problem.colno}: invalid JSON: {problem.msg}") from None


def load_plan(path: Path) -> Inventory:
    try:
        return Inventory.from_json(read_json(path, PlanFileError))
    except (KeyError, TypeError, AttributeError) as problem:
        raise PlanFileError(f"{path}: not an inventory JSON written by Inventory.to_json() ({problem!r})") from None


@dataclass(frozen=True)
class PackConfig:
    """Per-policy enforcement levels and properties, as `--policy-pack-config` sets them."""

    levels: dict[str, EnforcementLevel] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)

    def level_of(self, policy: Policy) -> EnforcementLevel:
        level = self.levels.get(policy.name) or self.levels.get(ALL_POLICIES) or policy.enforcement_level
        # The engine reports a violation of a remediating policy that still fails as mandatory.
        return EnforcementLevel.MANDATORY if level in (None, EnforcementLevel.REMEDIATE) else level

    def properties_of(self, policy: Policy) -> dict[str, Any]:
        # The engine passes numbers as floats; policies must cope, so the offline run does the same.
        return _engine_values(self.properties.get(policy.name, {}))


def parse_pack_config(document: Mapping[str, Any], policies: list[Policy] = POLICIES) -> PackConfig:
    """Check names, levels and property types against the policies' schemas, so typos fail loudly."""
    by_name = {policy.name: policy for policy in policies}
    levels: dict[str, EnforcementLevel] = {}
    properties: dict[str, dict[str, Any]] = {}
    for name, entry in document.items():
        if name not in by_name and name != ALL_POLICIES:
            raise PolicyConfigError(f"config names unknown policy {name!r}; policies: {', '.join(sorted(by_name))}")
        settings = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        if "enforcementLevel" in settings:
            try:
                levels[name] = EnforcementLevel(settings.pop("enforcementLevel"))
            except ValueError:
                raise PolicyConfigError(f"{name}: unknown enforcementLevel {entry!r}") from None
        if settings and name == ALL_POLICIES:
            raise PolicyConfigError(f"{ALL_POLICIES!r} takes only an enforcement level")
        if settings:
            properties[name] = _checked_properties(by_name[name], settings)
    return PackConfig(levels, properties)


def _checked_properties(policy: Policy, settings: dict[str, Any]) -> dict[str, Any]:
    """Each property against its JSON schema, as the engine validates policy config before running the pack
    (pulumi v3.259.0 pkg/resource/analyzer/config.go `validatePolicyConfig`, gojsonschema): types, bounds, items."""
    schema = policy.config_schema.properties if policy.config_schema else {}
    for key, value in settings.items():
        if key not in schema:
            raise PolicyConfigError(f"{policy.name}: unknown property {key!r}; allowed: {', '.join(sorted(schema))}")
        errors = sorted(jsonschema.Draft7Validator(schema[key]).iter_errors(value), key=lambda e: list(e.path))
        if not errors:
            continue
        first = errors[0]
        where = f"{policy.name}.{key}" + "".join(f"[{part}]" for part in first.path)
        if first.validator == "type":
            raise PolicyConfigError(f"{where} must be a {first.validator_value}, got {first.instance!r}")
        raise PolicyConfigError(f"{where}: got {first.instance!r}; {first.message}")
    return settings


def load_pack_config(stack: str, config_dir: Path = POLICY_CONFIG_DIR) -> PackConfig:
    path = config_dir / f"config.{stack}.json"
    if not path.exists():
        # Without a file every production rule would silently be off, so a missing file is an error.
        raise PolicyConfigError(f"no policy config {path}; create it (e.g. from config.dev.json)")
    config = parse_pack_config(read_json(path, PolicyConfigError))
    platform = _platform_stack(stack)
    if platform is not None:
        problems = shard_rule_problems(config, load_pack_config(platform, config_dir), f"config.{platform}.json")
        if problems:
            raise PolicyConfigError(f"{path}: a tenant shard holds its platform's rules:\n  " + "\n  ".join(problems))
    return config


def _platform_stack(stack: str) -> str | None:
    """The platform stack a shard's stack file names (matih-minio:platformStack); None for a platform stack."""
    if stack not in available_stacks():
        return None  # a saved plan of a stack without a file here: nothing to compare with
    return platform_of(load_stack_config(stack), project_name())


def platform_rules(platform: PackConfig) -> dict[str, dict[str, Any]]:
    """What each shard must set as its platform does: every scalar property (the `production` switches, minimums).
    A list (acknowledgedPurges) names one stack's own tenants, so it is the shard's own."""
    return {
        name: rules
        for name, properties in platform.properties.items()
        if (rules := {key: value for key, value in properties.items() if not isinstance(value, list | dict)})
    }


def shard_rule_problems(shard: PackConfig, platform: PackConfig, platform_file: str) -> list[str]:
    """Each rule or enforcement level of the platform's config that the shard's config does not hold alike."""
    problems = [
        f"{name}.{key}: got {shard.properties.get(name, {}).get(key)!r}; must be {value!r} as in {platform_file}"
        for name, rules in platform_rules(platform).items()
        for key, value in rules.items()
        if shard.properties.get(name, {}).get(key) != value
    ]
    problems += [
        f"{name}.enforcementLevel: got {getattr(shard.levels.get(name), 'value', None)!r}; must be {level.value!r} "
        f"as in {platform_file}"
        for name, level in platform.levels.items()
        if shard.levels.get(name) is not level
    ]
    return problems


@dataclass(frozen=True)
class Violation:
    policy: str
    level: EnforcementLevel
    urn: str
    name: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.level is EnforcementLevel.MANDATORY


def _engine_values(value: Any) -> Any:
    """Properties as the engine's protobuf Struct delivers them: every number a float."""
    if isinstance(value, Mapping):
        return {key: _engine_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_engine_values(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _options(record: ResourceRecord) -> PolicyResourceOptions:
    # The analyzer protocol carries no retainOnDelete, so the offline run must not pass it either.
    return PolicyResourceOptions(
        protect=bool(record.options.get("protect")),
        ignore_changes=list(record.options.get("ignoreChanges", [])),
        delete_before_replace=record.options.get("deleteBeforeReplace") or None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=list(record.options.get("additionalSecretOutputs", [])),
        parent=record.parent or None,
    )


class _PlanView:
    """One inventory seen through the policy SDK's eyes."""

    def __init__(self, inventory: Inventory):
        self.inventory = inventory
        self.records = inventory.by_urn()

    def provider(self, record: ResourceRecord) -> PolicyProviderResource | None:
        reference = record.options.get("provider") or ""
        provider = self.records.get(reference.rsplit("::", 1)[0])  # a provider reference is `<urn>::<id>`
        if provider is None:
            return None
        return PolicyProviderResource(provider.type, engine_props(provider.inputs), provider.urn, provider.name)

    def resource_args(self, record: ResourceRecord, config: Mapping[str, Any]) -> ResourceValidationArgs:
        return ResourceValidationArgs(
            record.type,
            engine_props(record.inputs),
            record.urn,
            record.name,
            _options(record),
            self.provider(record),
            config,
        )

    def stack_args(self, config: Mapping[str, Any]) -> StackValidationArgs:
        # A stack policy sees each resource's outputs, not its inputs (pulumi v3.259.0
        # pkg/resource/deploy/step_generator.go `AnalyzeResources`, `Properties: v.Outputs`); a component's outputs
        # are what it registered (step_executor.go `executeRegisterResourceOutputs`), for a custom resource what the
        # provider returned, as far as the mock engine knows it (tools/engine.py `ResourceRecord.outputs`).
        stack = self.stack_resource()
        resources = [stack] + [
            PolicyResource(r.type, engine_props(r.outputs), r.urn, r.name, _options(r), self.provider(r), None, [], {})
            for r in self.inventory.resources
        ]
        by_urn = {resource.urn: resource for resource in resources}
        for record, resource in zip(self.inventory.resources, resources[1:], strict=True):
            resource.parent = by_urn.get(record.parent)
            resource.dependencies = [by_urn[urn] for urn in record.options.get("dependsOn", []) if urn in by_urn]
        return StackValidationArgs(resources, config)

    def stack_resource(self) -> PolicyResource:
        """The root resource, whose properties are the stack outputs (the inventory keeps it apart)."""
        project, stack = self.inventory.project, self.inventory.stack
        urn = f"urn:pulumi:{stack}::{project}::{tokens.STACK}::{project}-{stack}"
        options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
        return PolicyResource(
            tokens.STACK, engine_props(self.inventory.outputs), urn, f"{project}-{stack}", options, None, None, [], {}
        )

    def name_of(self, urn: str) -> str:
        record = self.records.get(urn)
        return record.name if record else "(stack)"


def engine_props(values: Mapping[str, Any]) -> Any:
    """Resource properties as a policy receives them from the engine."""
    return unknown_checking_proxy(_engine_values(values))


def _run_validation(validation: Callable[[], Awaitable[None] | None]) -> None:
    """One validation call as the analyzer makes it: awaited when async, skipped when not applicable."""
    try:
        result = validation()
        if result is not None:
            asyncio.run(_awaited(result))
    except NotApplicableError:
        pass


async def _awaited(result: Awaitable[None]) -> None:
    await result


def check_inventory(inventory: Inventory, config: PackConfig, policies: list[Policy] = POLICIES) -> list[Violation]:
    """Every violation of every enabled policy: resource policies over each resource, then stack policies."""
    view = _PlanView(inventory)
    violations: list[Violation] = []

    def reporter(policy: Policy, level: EnforcementLevel, subject_urn: str) -> ReportViolation:
        def report(message: str, urn: str | None = None) -> None:
            # Like the engine: a resource policy's violation is always its resource's; a stack policy may name one.
            target = subject_urn if isinstance(policy, ResourceValidationPolicy) else (urn or subject_urn)
            violations.append(Violation(policy.name, level, target, view.name_of(target), message))

        return report

    for policy in policies:
        level = config.level_of(policy)
        if level is EnforcementLevel.DISABLED:
            continue
        properties = config.properties_of(policy)
        if isinstance(policy, ResourceValidationPolicy):
            for record in inventory.resources:
                args = view.resource_args(record, properties)
                report = reporter(policy, level, record.urn)
                _run_validation(partial(policy.validate, args, report))
        elif isinstance(policy, StackValidationPolicy):
            stack_args = view.stack_args(properties)
            report = reporter(policy, level, stack_args.resources[0].urn)
            _run_validation(partial(policy.validate, stack_args, report))
    return violations


def format_violation(violation: Violation) -> str:
    return "\n    ".join(
        (f"[{violation.level.value}] {violation.policy}: {violation.name}", violation.urn, violation.message)
    )


@reports_errors("policy_check", PolicyConfigError, PlanFileError)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="run the program for this stack under the mock engine")
    source.add_argument("--plan", type=Path, help="an Inventory JSON written by Inventory.to_json()")
    parser.add_argument("--config", type=Path, help="policy config file (default: policies/config.<stack>.json)")
    args = parser.parse_args(argv)

    inventory = load_plan(args.plan) if args.plan else run_stack(args.stack)
    config = (
        parse_pack_config(read_json(args.config, PolicyConfigError))
        if args.config
        else load_pack_config(inventory.stack)
    )
    violations = check_inventory(inventory, config)
    for violation in violations:
        print(format_violation(violation))
    mandatory = sum(violation.mandatory for violation in violations)
    print(
        f"policy check of stack {inventory.stack}: {len(inventory.resources)} resources, {len(POLICIES)} policies, "
        f"{mandatory} mandatory and {len(violations) - mandatory} advisory violation(s)"
    )
    return 1 if mandatory else 0


if __name__ == "__main__":
    sys.exit(main())
