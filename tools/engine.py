"""Run the real Pulumi program for a stack under the SDK's mock engine and record what it declares.

One runner for the tests, `make plan`, the offline policy check, the plan diff and the benchmark:
`run_stack("prod") -> Inventory`. No Pulumi CLI, cluster or credentials are involved: the SDK's
`set_mocks` stands in for the engine, and this module's monitor records every registration with its
inputs (secrets masked) and resource options.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import runpy
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.rpc import _special_resource_sig, _special_secret_sig, _special_sig_key
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from tools.stack_reference import STACK_REFERENCE_TYPE, StackOutputs, resolve_references

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET_MASK = "[secret]"


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    return str(yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"])


class StackFileError(ValueError):
    """A project or stack file the Pulumi CLI would refuse before running the program (unknown stack, YAML syntax,
    CLI config rules). The message names the file and, where there is one, the line."""


def load_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The `config:` block of Pulumi.<stack>.yaml, as YAML values."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise StackFileError(f"no stack file {path.name}; stacks here: {', '.join(available_stacks(project_dir))}")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path.name
        raise StackFileError(f"{where}: invalid YAML: {getattr(error, 'problem', None) or error}") from None
    return dict(document.get("config") or {})


def project_config_values(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """This project's keys of a stack file without the `<project>:` prefix, as the settings loader takes them."""
    prefix = f"{project_name(project_dir)}:"
    return {k[len(prefix) :]: v for k, v in load_stack_config(stack, project_dir).items() if k.startswith(prefix)}


def available_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def _engine_config(config: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """What the CLI would hand the program: strings, structured values as JSON, secure values as dummies."""
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = "mock-secure-value"
            secret_keys.append(key)
        elif isinstance(value, str):
            values[key] = value
        else:
            values[key] = json.dumps(value)
    return values, secret_keys


def _mask(value: Any) -> Any:
    """Engine-serialised property values -> plain JSON, secrets masked, resource references as URNs."""
    if isinstance(value, dict):
        signature = value.get(_special_sig_key)
        if signature == _special_secret_sig:
            return SECRET_MASK
        if signature == _special_resource_sig:
            return value.get("urn")
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # The engine's wire format has only doubles; integers read better as integers.
        return int(value)
    return value


def _secret(value: Any) -> dict[str, Any]:
    return {_special_sig_key: _special_secret_sig, "value": value}


@dataclass
class ResourceRecord:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)


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


class _Mocks(pulumi.runtime.Mocks):
    """Provider behaviour: echo inputs, add the computed outputs the program reads, keep secrets secret."""

    def __init__(self, existing_secret_data: dict[str, str], stack_references: dict[str, StackOutputs]):
        self.existing_secret_data = existing_secret_data
        self.stack_references = stack_references

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        token = args.typ
        if token == "random:index/randomPassword:RandomPassword":
            state["result"] = _secret(f"mock-{args.name}-{'x' * 12}")
        elif token == "random:index/randomBytes:RandomBytes":
            raw = (args.name.encode() * 32)[: int(args.inputs.get("length", 32))]
            state["base64"] = _secret(base64.b64encode(raw).decode())
            state["hex"] = _secret(raw.hex())
        elif token == "minio:index/iamServiceAccount:IamServiceAccount":
            # Stable across processes (unlike hash()), so two runs of one program give identical plans.
            state["accessKey"] = "AK" + hashlib.sha256(args.name.encode()).hexdigest()[:18].upper()
            state["secretKey"] = _secret(f"mock-secret-key-{args.name}")
        elif token == STACK_REFERENCE_TYPE:
            reference = args.inputs["name"]
            if reference not in self.stack_references:
                raise StackFileError(
                    f"StackReference to {reference!r}: the runner resolves only the stack the config names "
                    f"({', '.join(self.stack_references) or 'none'})"
                )
            state.update(self.stack_references[reference].reference_state())
        elif token == "kubernetes:core/v1:Secret" and args.resource_id:
            # A read of an existing Secret (Secret.get): hand back the data keys the stack config names.
            state["data"] = _secret(
                {key: base64.b64encode(f"mock-{key}".encode()).decode() for key in self.existing_secret_data}
            )
        resource_id = args.resource_id or f"{args.name}-id"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, behaviour: _Mocks):
        super().__init__(behaviour)
        self.records: list[ResourceRecord] = []
        self.stack_outputs: dict[str, Any] = {}
        self.wire_outputs: dict[str, Any] = {}  # unmasked, for the stacks that reference this one

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with the parent's whole type chain (pulumi/pulumi v3.259.0,
        # pkg/resource/deploy/deployment.go `Deployment.generateURN`); the SDK's mock keeps only the parent's last
        # type, which gives grandchildren (a tenant bucket's encryption) URNs the real stack does not have.
        parent_type = parent.split("::")[2] if parent else "pulumi:pulumi:Stack"
        qualified = type_ if parent_type == "pulumi:pulumi:Stack" else f"{parent_type}${type_}"
        return super().make_urn("", qualified, name)

    def _record(self, request: Any, urn: str, custom: bool) -> None:
        inputs = json_format.MessageToDict(request.object if hasattr(request, "object") else request.properties)
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
        self.records.append(
            ResourceRecord(
                type=request.type,
                name=request.name,
                urn=urn,
                parent=request.parent,
                custom=custom,
                inputs=_mask(inputs),
                options=options,
            )
        )

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(request, response.urn, bool(request.custom))
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self._record(request, response.urn, True)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.wire_outputs = json_format.MessageToDict(request.outputs)
            self.stack_outputs = _mask(self.wire_outputs)
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
) -> Inventory:
    """Run `__main__.py` for a stack under mocks.

    `config` replaces the stack file's config block; `config_overrides` (short keys like "tenants" or full
    keys like "matih-minio:tenants") are applied on top. Errors of the program propagate.
    """
    project = project_name(project_dir)
    stack_config = dict(config if config is not None else load_stack_config(stack, project_dir))
    for key, value in (config_overrides or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if value is None:
            stack_config.pop(full_key, None)
        else:
            stack_config[full_key] = value
    values, secret_keys = _engine_config(stack_config)
    # Before this stack's run: the SDK's mocks are global, so a referenced stack runs to completion first.
    references = resolve_references(
        stack,
        stack_config,
        project,
        available_stacks(project_dir),
        # The CLI hands over the outputs of the referenced stack's last update, so never a preview's.
        lambda name: StackOutputs(run_stack(name, project_dir=project_dir).wire_outputs),
    )

    monitor = _RecordingMonitor(_Mocks(_existing_secret_keys(stack_config, project), references))
    diagnostics = _DiagnosticsHandler()
    runtime_settings.reset_options(project=project, stack=stack, preview=preview)
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
    runtime_settings.ROOT.set(None)

    program = str(project_dir / "__main__.py")
    added_path = str(project_dir) not in sys.path
    if added_path:
        sys.path.insert(0, str(project_dir))
    previous_cwd = os.getcwd()
    os.chdir(project_dir)
    failure: Exception | None = None
    try:
        runtime_settings.SETTINGS.rpc_manager.clear()
        runtime_settings.SETTINGS.outputs.clear()
        _sync_await(run_in_stack(lambda: _run_program(program)))
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
    if failure is not None:
        raise ProgramError(str(failure), inventory) from failure
    return inventory
