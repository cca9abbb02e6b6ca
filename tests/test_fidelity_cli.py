"""The runner applies project and stack files as the Pulumi CLI does (pulumi/pulumi v3.259.0, see tools/fidelity/).

Each rule is exercised on a small synthetic project: its own Pulumi.yaml, a stack file and a program that exports
the config it was given.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools.engine import StackFileError, load_stack_config, run_stack

PROGRAM = """\
import pulumi
from pulumi.runtime.config import CONFIG, is_config_secret

given = CONFIG.get()
pulumi.export("config", {k: pulumi.Output.secret(v) if is_config_secret(k) else v for k, v in given.items()})
"""


def make_project(root: Path, project_yaml: str, stack_yaml: str = "config: {}\n", stack: str = "dev") -> Path:
    (root / "Pulumi.yaml").write_text(textwrap.dedent(project_yaml))
    (root / f"Pulumi.{stack}.yaml").write_text(textwrap.dedent(stack_yaml))
    (root / "__main__.py").write_text(PROGRAM)
    return root


def given_config(root: Path, stack: str = "dev") -> dict[str, str]:
    return dict(run_stack(stack, project_dir=root).outputs["config"])


def refusal(root: Path, stack: str = "dev") -> str:
    with pytest.raises(StackFileError) as caught:
        run_stack(stack, project_dir=root)
    return str(caught.value)


DECLARED = """\
    name: demo
    runtime: python
    config:
      endpoint:
        type: string
      replicas:
        type: integer
        default: 3
      enabled:
        type: boolean
        default: true
      zones:
        type: array
        items:
          type: string
        default: [a, b]
      labels:
        type: object
        default: {team: storage}
    """


def with_endpoint(key: str, value: str) -> str:
    """A stack file for DECLARED: the required endpoint plus one key under test."""
    endpoint = "" if key == "endpoint" else "  demo:endpoint: e\n"
    return f"config:\n{endpoint}  demo:{key}: {value}\n"


def test_the_real_stacks_pass_the_cli_rules():
    for stack in ("dev", "prod"):
        assert run_stack(stack).resources


def test_a_declared_key_without_default_is_required_in_every_stack(tmp_path):
    make_project(tmp_path, DECLARED, "config: {}\n")
    assert "Pulumi.dev.yaml: Stack 'dev' is missing configuration value 'endpoint'" in refusal(tmp_path)


def test_all_missing_keys_are_reported_at_once(tmp_path):
    project = """\
        name: demo
        config:
          zeta: {type: string}
          alpha: {type: integer}
          demo:mid: {type: boolean}
        """
    make_project(tmp_path, project)
    assert "missing configuration values 'alpha', 'demo:mid' and 'zeta'" in refusal(tmp_path)


def test_our_endpoint_is_required_in_our_stacks():
    with pytest.raises(StackFileError, match="Stack 'prod' is missing configuration value 'minioEndpoint'"):
        run_stack("prod", {"minioEndpoint": None})


def test_defaults_are_applied_before_the_program_runs(tmp_path):
    make_project(tmp_path, DECLARED, "config:\n  demo:endpoint: s3.example:9000\n")
    assert given_config(tmp_path) == {
        "demo:endpoint": "s3.example:9000",
        "demo:replicas": "3",
        "demo:enabled": "true",
        "demo:zones": '["a","b"]',
        "demo:labels": '{"team":"storage"}',
    }


def test_a_stack_value_wins_over_the_default(tmp_path):
    make_project(tmp_path, DECLARED, "config:\n  demo:endpoint: e\n  demo:replicas: 5\n")
    assert given_config(tmp_path)["demo:replicas"] == "5"


@pytest.mark.parametrize(
    ("key", "value", "type_name"),
    [
        ("replicas", "three", "integer"),
        ("replicas", "1.5", "integer"),
        ("enabled", "yes", "boolean"),  # YAML 1.2, as the CLI's yaml.v3 reads it: a string, not true
        ("enabled", "1", "boolean"),
        ("zones", "[1, 2]", "array<string>"),
        ("zones", "a", "array<string>"),
        ("labels", "[a]", "object"),
        ("endpoint", "[a]", "string"),
        ("endpoint", "{host: a}", "string"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(tmp_path, key, value, type_name):
    make_project(tmp_path, DECLARED, with_endpoint(key, value))
    message = refusal(tmp_path)
    assert f"demo:{key}: Stack 'dev' with configuration key '{key}' must be of type '{type_name}'" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("replicas", '"7"'),  # Atoi accepts a quoted integer
        ("replicas", "7.0"),  # a whole float: the CLI hands the program "7"
        ("enabled", '"false"'),
        ("endpoint", "5"),  # a scalar reaches the program as text, so any scalar is a string
        ("zones", "[x]"),
    ],
)
def test_values_the_cli_accepts_for_the_type(tmp_path, key, value):
    make_project(tmp_path, DECLARED, with_endpoint(key, value))
    assert given_config(tmp_path)[f"demo:{key}"] in {"7", "false", "5", '["x"]'}


def test_a_secret_key_must_be_encrypted(tmp_path):
    project = "name: demo\nconfig:\n  password: {type: string, secret: true}\n"
    make_project(tmp_path, project, "config:\n  demo:password: hunter2\n")
    assert "configuration key 'password' must be encrypted as it's secret" in refusal(tmp_path)


def test_a_secret_default_is_not_encrypted_either(tmp_path):
    project = "name: demo\nconfig:\n  password: {type: string, secret: true, default: x}\n"
    make_project(tmp_path, project)
    assert "must be encrypted as it's secret" in refusal(tmp_path)


def test_a_secure_value_reaches_the_program_as_a_secret(tmp_path):
    project = "name: demo\nconfig:\n  password: {type: string, secret: true}\n  user: {type: string}\n"
    stack = "config:\n  demo:password:\n    secure: v1:abc\n  demo:user:\n    secure: v1:def\n"
    make_project(tmp_path, project, stack)
    # A declared non-secret key may still be set secure; its plaintext is the decrypter's business.
    assert given_config(tmp_path) == {"demo:password": "[secret]", "demo:user": "[secret]"}


def test_a_secure_value_inside_a_structure_makes_the_whole_key_secret(tmp_path):
    make_project(tmp_path, "name: demo\n", "config:\n  demo:kms:\n    mode: kes\n    apiKey:\n      secure: v1:abc\n")
    assert given_config(tmp_path) == {"demo:kms": "[secret]"}


def test_keys_the_project_does_not_declare_pass_through(tmp_path):
    make_project(tmp_path, "name: demo\n", "config:\n  demo:extra: 1\n  aws:region: eu-west-1\n")
    assert given_config(tmp_path) == {"demo:extra": "1", "aws:region": "eu-west-1"}


def test_bare_and_namespaced_keys_are_the_same_key(tmp_path):
    project = "name: demo\nconfig:\n  demo:endpoint: {type: string}\n  size: 3\n"
    make_project(tmp_path, project, "config:\n  endpoint: e\n")
    assert given_config(tmp_path) == {"demo:endpoint": "e", "demo:size": "3"}


def test_a_key_set_both_bare_and_namespaced_is_refused(tmp_path):
    make_project(tmp_path, "name: demo\n", "config:\n  endpoint: a\n  demo:endpoint: b\n")
    assert "'demo:endpoint' is set twice" in refusal(tmp_path)


def test_another_namespace_gets_its_value_from_the_project(tmp_path):
    project = "name: demo\nconfig:\n  kubernetes:context: kind-demo\n  aws:region:\n    value: eu-west-1\n"
    make_project(tmp_path, project, "config:\n  aws:region: us-east-2\n")
    assert given_config(tmp_path) == {"kubernetes:context": "kind-demo", "aws:region": "us-east-2"}


@pytest.mark.parametrize(
    ("declaration", "problem"),
    [
        ("kubernetes:context: {type: string, value: x}", "not namespaced by the project and should not define a type"),
        ("kubernetes:context: {default: x}", "should not define a default value"),
        ("kubernetes:context: {description: x}", "must provide an attribute 'value'"),
        ("size: {type: integer, default: big}", "the default value is not of the expected type 'integer'"),
        ("size: {type: integer, default: 1, value: 2}", "cannot have both a 'default' and 'value' attribute"),
        ("zones: {type: array}", "does not specify the underlying type via the 'items' attribute"),
        ("zones: {type: array, items: {type: array}}", "an array item type must name its 'items'"),
        ("size: {type: map}", "type 'map' is not one of string, integer, boolean, array, object"),
        ("size: {type: string, required: true}", "additional properties ['required'] not allowed"),
        ("size: 1.5", "must be a string, integer, boolean, array or a declaration"),
        ("a:b:c: {type: string}", "is not a configuration key"),
        ("size: 1\n  demo:size: 2", "'demo:size' is declared twice"),
    ],
)
def test_pulumi_yaml_declares_only_what_the_project_schema_allows(tmp_path, declaration, problem):
    make_project(tmp_path, f"name: demo\nconfig:\n  {declaration}\n")
    message = refusal(tmp_path)
    assert message.startswith("Pulumi.yaml: config: ") and problem in message


def test_the_project_schema_allows_object_keys_at_our_cli_version(tmp_path):
    make_project(tmp_path, "name: demo\nconfig:\n  kms: {type: object}\n", "config:\n  demo:kms: {mode: kes}\n")
    assert given_config(tmp_path) == {"demo:kms": '{"mode":"kes"}'}


def test_a_duplicate_key_in_a_stack_file_is_refused(tmp_path):
    make_project(tmp_path, "name: demo\n", "config:\n  demo:a: 1\n  demo:b: 2\n  demo:a: 3\n")
    assert "Pulumi.dev.yaml:4:3: invalid YAML: mapping key 'demo:a' already defined at line 2" in refusal(tmp_path)


def test_a_duplicate_key_nested_in_a_value_is_refused(tmp_path):
    make_project(tmp_path, "name: demo\n", "config:\n  demo:kms:\n    mode: kes\n    mode: static\n")
    assert "mapping key 'mode' already defined at line 3" in refusal(tmp_path)


def test_a_duplicate_key_in_a_flow_mapping_is_refused(tmp_path):
    make_project(tmp_path, "name: demo\n", "config:\n  demo:kms: {mode: kes, mode: static}\n")
    assert "mapping key 'mode' already defined at line 2" in refusal(tmp_path)


def test_a_duplicate_key_in_pulumi_yaml_is_refused(tmp_path):
    make_project(tmp_path, "name: demo\nconfig:\n  a: 1\n  a: 2\n")
    assert "Pulumi.yaml:4:3: invalid YAML: mapping key 'a' already defined at line 3" in refusal(tmp_path)


def test_scalars_reach_the_program_as_the_cli_prints_them(tmp_path):
    stack = """\
        config:
          demo:octal: 0755
          demo:word: on
          demo:big: 1_000
          demo:whole: 2.0
          demo:day: 2024-01-05
          demo:list: [yes, 0x10, 1.50]
        """
    make_project(tmp_path, "name: demo\n", stack)
    assert given_config(tmp_path) == {
        "demo:octal": "493",
        "demo:word": "on",
        "demo:big": "1000",
        "demo:whole": "2",
        "demo:day": "2024-01-05 00:00:00 +0000 UTC",
        "demo:list": '["yes",16,1.5]',
    }


def test_a_bad_stack_key_is_refused(tmp_path):
    make_project(tmp_path, "name: demo\n", "config:\n  a:b:c: 1\n")
    assert "could not parse a:b:c as a configuration key" in refusal(tmp_path)


def test_the_stack_files_are_read_with_namespaced_keys():
    config = load_stack_config("dev")
    assert all(key.count(":") == 1 for key in config)
    assert config["matih-minio:protect"] is False
