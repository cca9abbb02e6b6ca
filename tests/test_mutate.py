"""`make mutate`'s own rules: which modules and tests it names, how it scores, what an equivalence note must say."""

from __future__ import annotations

import tomllib

import pytest

from tools import mutate
from tools.engine import PROJECT_DIR


def test_every_configured_module_and_test_file_exists():
    assert set(mutate.MODULES) == {
        "components/model/config.py",
        "components/model/erasure.py",
        "components/model/iam.py",
        "components/model/naming.py",
        "components/model/tenancy.py",
        "components/model/lifecycle.py",
        "components/model/rotation.py",
        "components/model/offboarding.py",
        "tools/change_risks.py",
        "tools/risks/model.py",
        "tools/risks/replacements.py",
        "tools/risks/layout.py",
        "tools/risks/tenants.py",
        "tools/risks/settings.py",
    }
    for module, tests in mutate.MODULES.items():
        assert (PROJECT_DIR / module).is_file(), module
        assert tests and all((PROJECT_DIR / test).is_file() for test in tests), module


def test_the_generated_config_mutates_one_module_and_runs_its_tests():
    text = mutate.mutmut_config("components/model/iam.py", ("tests/test_tenancy.py",), ["components", "tests", "tools"])
    config = tomllib.loads(text)["tool"]["mutmut"]
    assert config["source_paths"] == ["components"]
    assert config["only_mutate"] == ["components/model/iam.py"]
    assert config["also_copy"] == ["tests", "tools"]
    assert config["pytest_add_cli_args_test_selection"] == ["tests/test_tenancy.py"]
    assert config["process_isolation"] == "forkserver"


def test_the_score_counts_equivalent_mutants_out_and_timeouts_as_caught():
    codes = {
        "m.x_f__mutmut_1": 1,
        "m.x_f__mutmut_2": 0,
        "m.x_f__mutmut_3": 0,
        "m.x_f__mutmut_4": 36,
        "m.x_f__mutmut_5": 33,
    }
    score = mutate.score("m.py", codes, {"m.x_f__mutmut_3": "why"}, 1.0)
    assert (score.killed, score.timeout, score.survived, score.equivalent, score.no_tests) == (
        1,
        1,
        ["m.x_f__mutmut_2"],
        ["m.x_f__mutmut_3"],
        ["m.x_f__mutmut_5"],
    )
    assert score.applicable == 4 and score.percent == 50.0


def test_an_equivalence_note_needs_a_reason(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("# comment\n\na.x_f__mutmut_1  the same value either way\n")
    assert mutate.load_equivalents(notes) == {"a.x_f__mutmut_1": "the same value either way"}
    notes.write_text("a.x_f__mutmut_1\n")
    with pytest.raises(SystemExit, match="has no reason"):
        mutate.load_equivalents(notes)


def test_the_committed_notes_name_configured_modules():
    for name in mutate.load_equivalents():
        assert any(name.startswith(mutate.module_name(m) + ".") for m in mutate.MODULES), name
