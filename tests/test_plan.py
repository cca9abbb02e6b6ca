"""`make plan`: the tree a person reads and the JSON inventory the tools read."""

from __future__ import annotations

import json

from tools import plan


def test_plan_prints_components_with_their_resources_and_the_figures(tmp_path, capsys):
    target = tmp_path / "prod.json"
    assert plan.main(["--stack", "prod", "--json", str(target)]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    cluster = lines.index("  - MinioCluster minio")
    assert lines[cluster + 1].startswith("    - ")
    assert any(
        "Release minio-release: chart minio@5.4.0, distributed, 1 pool(s) x 4 servers x 4 drives" in line
        for line in lines
    )
    assert "  parity standard EC:4, reduced redundancy EC:2 (12 data drives per set)" in lines
    assert "  raw 16 TiB, usable 12 TiB (75%)" in lines
    assert "survives the loss of a server: yes" in printed

    written = json.loads(target.read_text())
    assert written["stack"] == "prod"
    assert written["outputs"]["erasure"]["erasureSetSize"] == 16
    first = written["resources"][0]
    assert set(first) == {
        "type",
        "name",
        "urn",
        "parent",
        "custom",
        "inputs",
        "options",
        "secretDigests",
        "clearValues",
        "outputs",
    }
    assert "mock-" not in target.read_text(), "secret values are masked before anything is written"


def test_plan_summarises_the_readiness_gate_the_claim_and_reads(capsys):
    assert plan.main(["--stack", "dev"]) == 0
    dev = capsys.readouterr().out
    gate = next(line for line in dev.splitlines() if "- Job minio-ready:" in line)
    assert "polls http://minio.minio.svc.cluster.local:9000 for at most" in gate
    assert "- PersistentVolumeClaim minio-data: minio/minio-data 20Gi of class standard" in dev
    assert plan.main(["--stack", "prod"]) == 0
    prod = capsys.readouterr().out
    assert "- Secret minio-kes-api-key-source [read kes/minio-kes-api-key]" in prod
    assert "None/None" not in prod
