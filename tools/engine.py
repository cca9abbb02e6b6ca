"""Run the real Pulumi program for a stack under the SDK's mock engine and record what it declares.

One runner for the tests, `make plan`, the offline policy check, the plan diff and the benchmark:
`run_stack("prod") -> Inventory`. No Pulumi CLI, cluster or credentials are involved: the SDK's
`set_mocks` stands in for the engine, and this module's monitor records every registration with its
inputs (secrets masked) and resource options.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import json
import logging
import os
import runpy
import secrets
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import run_in_stack

from components import tokens
from components.catalog import shown_value
from tools import sdk_private
from tools.fidelity.cli import (
    StackFileError,
    apply_project_config,
    cli_config_text,
    contains_secure,
    load_cli_yaml,
    load_project,
    namespace_stack_keys,
)
from tools.fidelity.registration import check_registration
from tools.fidelity.violations import Violation
from tools.stack_reference import StackOutputs, resolve_references

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET_MASK = "[secret]"


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    return load_project(project_dir).name


def load_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The `config:` block of Pulumi.<stack>.yaml as the CLI reads it: YAML values, keys `<namespace>:<name>`."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not stack or not path.exists():
        missing = "no stack given (an empty STACK=)" if not stack else f"no stack file {path.name}"
        raise StackFileError([f"{missing}; stacks here: {', '.join(available_stacks(project_dir))}"])
    document = load_cli_yaml(path) or {}
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config or {}, dict):
        raise StackFileError([f"{path.name}: config: must be a map of configuration keys"])
    return namespace_stack_keys(project_name(project_dir), config or {}, path.name)


def project_config_values(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """This project's keys of a stack file without the `<project>:` prefix, as the settings loader takes them."""
    prefix = f"{project_name(project_dir)}:"
    return {k[len(prefix) :]: v for k, v in load_stack_config(stack, project_dir).items() if k.startswith(prefix)}


def available_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def _engine_config(config: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """What the CLI would hand the program: strings, structured values as JSON, secure values as dummies."""
    values = {key: cli_config_text(value, lambda _ciphertext: "mock-secure-value") for key, value in config.items()}
    return values, sorted(key for key, value in config.items() if contains_secure(value))


def _mask(value: Any) -> Any:
    """Engine-serialised property values -> plain JSON, secrets masked, resource references as URNs."""
    if isinstance(value, dict):
        signature = value.get(sdk_private.SIG_KEY)
        if signature == sdk_private.SECRET_SIG:
            return SECRET_MASK
        if signature == sdk_private.RESOURCE_SIG:
            return value.get("urn")
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # The engine's wire format has only doubles; integers read better as integers.
        return int(value)
    return value


# A change inside a masked value (a Secret's stringData) would be invisible in the inventory, so each masked value
# also gets a digest per key, in ResourceRecord.secretDigests. The digest is an HMAC-SHA256 (16 hex characters): equal
# values give equal digests under one key, and without the key nobody can test guesses against a digest, so even a
# low-entropy value (a region, a port) cannot be recovered from a saved plan. The key is never written anywhere. The
# plan diff runs its two sides in separate child processes whose digests must be comparable, so it draws one key per
# comparison and hands it to both in SECRET_DIGEST_KEY_ENV; any other run draws one key per process (which still
# makes two runs of one process comparable, as the in-process tests need).
SECRET_DIGEST_KEY_ENV = "MATIH_SECRET_DIGEST_KEY"
_SECRET_DIGEST_KEY = bytes.fromhex(os.environ.get(SECRET_DIGEST_KEY_ENV) or secrets.token_hex(32))


def _digest(value: Any) -> str:
    message = json.dumps(value, sort_keys=True).encode()
    return hmac.new(_SECRET_DIGEST_KEY, message, hashlib.sha256).hexdigest()[:16]


def _secret_digests(value: Any, path: str = "") -> dict[str, Any]:
    """Input path of each secret-masked value -> {key: digest} for a mapping, or one digest for anything else."""
    if isinstance(value, dict):
        if value.get(sdk_private.SIG_KEY) == sdk_private.SECRET_SIG:
            plain = value.get("value")
            if isinstance(plain, dict):
                return {path: {str(k): _digest(v) for k, v in sorted(plain.items())}}
            return {path: _digest(plain)}
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    else:
        return {}
    found: dict[str, Any] = {}
    for key, child in children:
        found.update(_secret_digests(child, f"{path}.{key}" if path else str(key)))
    return found


def _clear_values(type_token: str, inputs: Any) -> dict[str, dict[str, str]]:
    """Input path of a Secret's masked data -> the values of its keys that are not secret, as the catalog decides
    (components/catalog.py `shown_value`), so that the plan diff can show a changed bucket or endpoint in clear."""
    if type_token != tokens.SECRET or not isinstance(inputs, dict):
        return {}
    found: dict[str, dict[str, str]] = {}
    for path in ("stringData", "data"):
        value = inputs.get(path)
        if isinstance(value, dict) and value.get(sdk_private.SIG_KEY) == sdk_private.SECRET_SIG:
            plain = value.get("value")
            if isinstance(plain, dict) and path == "stringData":  # `data` is base64: nothing to show
                shown = {str(k): shown_value(str(k), v) for k, v in plain.items() if isinstance(v, str)}
                found[path] = {k: v for k, v in sorted(shown.items()) if v is not None}
    return found


def _secret(value: Any) -> dict[str, Any]:
    return {sdk_private.SIG_KEY: sdk_private.SECRET_SIG, "value": value}


@dataclass
class ResourceRecord:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    secretDigests: dict[str, Any] = field(default_factory=dict)  # masked values' digests, see _secret_digests
    # What the engine keeps as the resource's outputs: for a custom resource the state the (mock) provider returned,
    # for a component what it registered (pulumi v3.259.0 step_executor.go `executeRegisterResourceOutputs`). Stack
    # policies see these, resource policies the inputs (step_generator.go `AnalyzeResources`, `Properties: v.Outputs`).
    outputs: dict[str, Any] = field(default_factory=dict)
    clearValues: dict[str, dict[str, str]] = field(default_factory=dict)  # a Secret's non-secret keys, _clear_values


@dataclass
class Inventory:
    """Everything one run declared: resources in registration order, plus the stack outputs."""

    stack: str
    project: str
    resources: list[ResourceRecord]
    outputs: dict[str, Any]
    # What the program logged through pulumi.log (warnings such as "static KMS: no per-tenant keys").
    diagnostics: list[dict[str, str]] = field(default_factory=list)
    # The outputs unmasked, in the engine's wire form (secrets wrapped): what a StackReference to this stack reads.
    # Never serialised (to_json), since the mock secrets are in it.
    wire_outputs: dict[str, Any] = field(default_factory=dict, repr=False)

    def of_type(self, type_token: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> ResourceRecord:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def by_urn(self) -> dict[str, ResourceRecord]:
        return {r.urn: r for r in self.resources}

    def children(self, urn: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.parent == urn]

    def __iter__(self) -> Iterator[ResourceRecord]:
        return iter(self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [asdict(r) for r in self.resources],
            "outputs": self.outputs,
            "diagnostics": self.diagnostics,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Inventory:
        return cls(
            stack=data["stack"],
            project=data["project"],
            resources=[ResourceRecord(**r) for r in data["resources"]],
            outputs=data.get("outputs", {}),
            diagnostics=data.get("diagnostics", []),
        )


class _DiagnosticsHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"severity": record.levelname.lower(), "message": record.getMessage()})


def _program_logger(handler: _DiagnosticsHandler) -> logging.Logger:
    logger = logging.getLogger(f"{__name__}.program")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False  # reported through the inventory, not printed twice
    return logger


class ProgramError(RuntimeError):
    """The program failed; `inventory` holds what it had declared before it did."""

    def __init__(self, message: str, inventory: Inventory):
        super().__init__(message)
        self.inventory = inventory


class ProviderCheckError(ProgramError):
    """Inputs the real providers would refuse (tools/fidelity/); `violations` lists each with its rule and source."""

    def __init__(self, violations: list[Violation], inventory: Inventory):
        lines = "\n".join(f"  - {v}" for v in violations)
        count = f"{len(violations)} input{'s' if len(violations) > 1 else ''}"
        super().__init__(f"{count} the real providers would refuse:\n{lines}", inventory)
        self.violations = violations


class _Mocks(pulumi.runtime.Mocks):
    """Provider behaviour: refuse what the real provider refuses, echo inputs, add the computed outputs the program
    reads, keep secrets secret."""

    def __init__(self, existing_secret_data: dict[str, str], stack_references: dict[str, StackOutputs]):
        self.existing_secret_data = existing_secret_data
        self.violations: list[Violation] = []
        self.stack_references = stack_references

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.resource_id:
            # A read (Secret.get) sends only the id of an existing object: there are no inputs to check.
            self.violations.extend(check_registration(args.typ, args.name, args.inputs))
        state = dict(args.inputs)
        token = args.typ
        if token == tokens.RANDOM_PASSWORD:
            state["result"] = _secret(f"mock-{args.name}-{'x' * 12}")
        elif token == tokens.RANDOM_BYTES:
            raw = (args.name.encode() * 32)[: int(args.inputs.get("length", 32))]
            state["base64"] = _secret(base64.b64encode(raw).decode())
            state["hex"] = _secret(raw.hex())
        elif token == tokens.IAM_SERVICE_ACCOUNT:
            # Stable across processes (unlike hash()), so two runs of one program give identical plans.
            state["accessKey"] = "AK" + hashlib.sha256(args.name.encode()).hexdigest()[:18].upper()
            state["secretKey"] = _secret(f"mock-secret-key-{args.name}")
        elif token == tokens.STACK_REFERENCE:
            reference = args.inputs["name"]
            if reference not in self.stack_references:
                raise StackFileError(
                    f"StackReference to {reference!r}: the runner resolves only the stack the config names "
                    f"({', '.join(self.stack_references) or 'none'})"
                )
            state.update(self.stack_references[reference].reference_state())
        elif token == tokens.SECRET and args.resource_id:
            # A read of an existing Secret (Secret.get): hand back the data keys the stack config names.
            state["data"] = _secret(
                {key: base64.b64encode(f"mock-{key}".encode()).decode() for key in self.existing_secret_data}
            )
        resource_id = args.resource_id or f"{args.name}-id"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(sdk_private.MockMonitor):
    def __init__(self, behaviour: _Mocks):
        super().__init__(behaviour)
        self.records: list[ResourceRecord] = []
        self._components: dict[str, ResourceRecord] = {}  # by URN, for their RegisterResourceOutputs
        self.stack_outputs: dict[str, Any] = {}
        self.wire_outputs: dict[str, Any] = {}  # unmasked, for the stacks that reference this one

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with the parent's whole type chain (pulumi/pulumi v3.259.0,
        # pkg/resource/deploy/deployment.go `Deployment.generateURN`); the SDK's mock keeps only the parent's last
        # type, which gives grandchildren (a tenant bucket's encryption) URNs the real stack does not have.
        parent_type = parent.split("::")[2] if parent else tokens.STACK
        qualified = type_ if parent_type == tokens.STACK else f"{parent_type}${type_}"
        return super().make_urn("", qualified, name)

    def _record(self, request: Any, urn: str, custom: bool, state: Any = None) -> None:
        inputs = json_format.MessageToDict(request.object if hasattr(request, "object") else request.properties)
        outputs = json_format.MessageToDict(state) if state is not None else {}
        options: dict[str, Any] = {
            "protect": bool(getattr(request, "protect", False)),
            "retainOnDelete": bool(getattr(request, "retainOnDelete", False)),
            "provider": getattr(request, "provider", "") or None,
            "dependsOn": sorted(getattr(request, "dependencies", []) or []),
            "additionalSecretOutputs": sorted(set(getattr(request, "additionalSecretOutputs", []) or [])),
            "ignoreChanges": sorted(getattr(request, "ignoreChanges", []) or []),
            "deleteBeforeReplace": bool(getattr(request, "deleteBeforeReplace", False)),
        }
        if getattr(request, "id", ""):
            options["readId"] = request.id
        if getattr(request, "importId", ""):
            options["importId"] = request.importId
        record = ResourceRecord(
            type=request.type,
            name=request.name,
            urn=urn,
            parent=request.parent,
            custom=custom,
            inputs=_mask(inputs),
            options=options,
            secretDigests=_secret_digests(inputs),
            outputs=_mask(outputs),
            clearValues=_clear_values(request.type, inputs),
        )
        self.records.append(record)
        if not custom:
            self._components[urn] = record

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != tokens.STACK:
            # A component has no provider state: its outputs are what it registers later.
            self._record(request, response.urn, bool(request.custom), response.object if request.custom else None)
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self._record(request, response.urn, True, response.properties)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == tokens.STACK:
            self.wire_outputs = json_format.MessageToDict(request.outputs)
            self.stack_outputs = _mask(self.wire_outputs)
        elif request.urn in self._components:
            self._components[request.urn].outputs = _mask(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


def _existing_secret_keys(config: dict[str, Any], project: str) -> dict[str, str]:
    # tls.*: a TLS Secret; rootUser/rootPassword: the root credentials a tenant shard reads (chart existingSecret).
    keys = {"tls.crt": "", "tls.key": "", "rootUser": "", "rootPassword": ""}
    kes = ((config.get(f"{project}:kms") or {}).get("kes")) or {}
    for ref in kes.values():
        if isinstance(ref, dict) and "key" in ref:
            keys[str(ref["key"])] = ""
    return keys


def _run_program(path: str) -> None:
    runpy.run_path(path, run_name="__main__")


def run_stack(
    stack: str,
    config_overrides: dict[str, Any] | None = None,
    *,
    config: dict[str, Any] | None = None,
    project_dir: Path = PROJECT_DIR,
    preview: bool = False,
    stack_outputs: dict[str, dict[str, Any]] | None = None,
) -> Inventory:
    """Run `__main__.py` for a stack under mocks.

    `config` replaces the stack file's config block; `config_overrides` (short keys like "tenants" or full
    keys like "matih-minio:tenants") are applied on top. What the CLI would refuse raises StackFileError before
    the program runs; errors of the program raise ProgramError. `stack_outputs` (local stack name -> wire outputs,
    as `Inventory.wire_outputs`) answers a StackReference with the outputs of that stack's last `up` instead of
    running its stack file: the day-2 model's shards read a platform as it was when it last ran.
    """
    project_file = load_project(project_dir)
    project = project_file.name
    stack_config = dict(config if config is not None else load_stack_config(stack, project_dir))
    for key, value in (config_overrides or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if value is None:
            stack_config.pop(full_key, None)
        else:
            stack_config[full_key] = value
    # Pulumi.yaml's declarations apply to whatever config the run gets, as `pulumi preview` applies them.
    stack_config = apply_project_config(stack, project_file, stack_config, f"Pulumi.{stack}.yaml")
    values, secret_keys = _engine_config(stack_config)
    # Before this stack's run: the SDK's mocks are global, so a referenced stack runs to completion first.
    references = resolve_references(
        stack,
        stack_config,
        project,
        available_stacks(project_dir),
        # The CLI hands over the outputs of the referenced stack's last update, so never a preview's.
        lambda name: StackOutputs(
            stack_outputs[name]
            if stack_outputs is not None and name in stack_outputs
            else run_stack(name, project_dir=project_dir).wire_outputs
        ),
    )

    behaviour = _Mocks(_existing_secret_keys(stack_config, project), references)
    monitor = _RecordingMonitor(behaviour)
    diagnostics = _DiagnosticsHandler()
    pulumi.runtime.reset_options(project=project, stack=stack, preview=preview)
    pulumi.runtime.set_mocks(
        monitor.mocks,
        project=project,
        stack=stack,
        preview=preview,
        monitor=monitor,
        logger=_program_logger(diagnostics),
    )
    pulumi.runtime.set_all_config(values, secret_keys)
    # set_mocks opens and closes an empty stack; run the program in a fresh one so its exports are recorded.
    sdk_private.clear_root_resource()

    program = str(project_dir / "__main__.py")
    added_path = str(project_dir) not in sys.path
    if added_path:
        sys.path.insert(0, str(project_dir))
    previous_cwd = os.getcwd()
    os.chdir(project_dir)
    collecting = gc.isenabled()
    failure: Exception | None = None
    try:
        sdk_private.clear_pending_outputs()
        sdk_private.sync_await(run_in_stack(lambda: _run_program(program)))
    except Exception as error:  # the program's own error, reported with what it declared so far
        failure = error
    finally:
        os.chdir(previous_cwd)
        if added_path:
            sys.path.remove(str(project_dir))
    # Registration order depends on asyncio scheduling; URN order is stable across runs.
    resources = sorted(monitor.records, key=lambda r: r.urn)
    inventory = Inventory(
        stack=stack,
        project=project,
        resources=resources,
        outputs=monitor.stack_outputs,
        diagnostics=diagnostics.records,
        wire_outputs=monitor.wire_outputs,
    )
    # The program switches the garbage collector off for a process of its own (__main__.py), which then exits
    # without collecting; the caller's process keeps its setting and collects the program's cycles after this.
    if collecting:
        gc.enable()
    if behaviour.violations:
        # The real engine stops at the first refused registration; all of them at once are easier to fix.
        violations = sorted(behaviour.violations, key=lambda v: (v.resource_name, v.resource_type, v.path))
        raise ProviderCheckError(violations, inventory) from failure
    if failure is not None:
        raise ProgramError(str(failure), inventory) from failure
    return inventory
