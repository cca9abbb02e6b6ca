"""The real-engine rule tests cannot pass by not running: under CI a missing promtool fails them, and CI installs it."""

from __future__ import annotations

import shutil

import pytest
import yaml

from tests import promtool_support
from tools.engine import PROJECT_DIR


def test_missing_promtool_fails_under_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the real rule engine"):
        promtool_support.promtool()


def test_missing_promtool_skips_locally(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install"):
        promtool_support.promtool()


def test_ci_installs_promtool_before_the_tests():
    ci_run = (PROJECT_DIR / ".ci" / "run").read_text().splitlines()
    assert ci_run.index(".ci/install-promtool") < ci_run.index("make test")
    installer = (PROJECT_DIR / ".ci" / "install-promtool").read_text()
    assert "apt-get install -y -qq --no-install-recommends prometheus" in installer
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "pull-request.yml").read_text())
    runs = [step.get("run") for step in workflow["jobs"]["checks"]["steps"]]
    assert runs.index(".ci/install-promtool") < runs.index("make test")
