"""`hub pb` is mounted on the hub's command line and needs no instance or database."""

import json
import os
import subprocess
import sys
from pathlib import Path

HUB = str(Path(sys.executable).parent / "hub")


def test_hub_pb_compute_without_an_instance(pabulib_dir, tmp_path):
    instance = tmp_path / "never-created"
    env = {**os.environ, "HUB_INSTANCE_PATH": str(instance)}
    result = subprocess.run(
        [HUB, "pb", "compute", str(pabulib_dir / "Netherlands_Assen_2024.pb"), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rule"] == "equalshares/add1"
    assert data["total_cost"] <= data["budget"]
    assert len(data["audit"]["input_sha256"]) == 64
    assert data["audit"]["winners"] == data["winners"]
    assert not instance.exists(), "hub pb must not create an instance"

    explain = subprocess.run(
        [HUB, "pb", "explain", str(pabulib_dir / "Netherlands_Assen_2024.pb"), data["winners"][0]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert explain.returncode == 0 and explain.stdout.strip()
