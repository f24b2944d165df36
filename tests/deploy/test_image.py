"""The container image recipe (deploy/docker/Dockerfile), read the way `docker build` reads it.

No Docker engine runs in the test environment, so the image itself is not built here; these tests check
what an operator relies on: a builder stage and a slim final stage without build tools, a fixed non-root
user, `kf` as the entry point, and a build context that carries the code but no local state.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
BUILD_TOOLS = ("apt-get", "apk ", "gcc", "g++", "build-essential", "make ", "cc ")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [arg for kw, arg in self.instructions if kw == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the build stages with their instructions (continuation lines joined)."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#") and current:
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append((current + line).strip())
        current = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), match.group(1))
            stages.append(Stage(base=base, name=match.group(2)))
        elif keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return args, stages


def test_the_image_builds_wheels_in_a_builder_and_runs_from_a_slim_stage_without_build_tools():
    _, stages = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    assert len(stages) >= 2, "a builder stage and a final stage"
    builder, final = stages[0], stages[-1]
    assert "pip wheel" in " ".join(builder.args("RUN"))
    assert final.base.endswith("-slim") or "-slim-" in final.base, final.base
    runs = " ".join(final.args("RUN"))
    assert not [tool for tool in BUILD_TOOLS if tool in runs], f"build tools in the final stage: {runs}"
    assert f"from={builder.name}" in runs, "the final stage installs the builder's wheels"
    assert "--no-index" in runs, "the final stage installs only the wheels built in the builder"


def test_the_image_runs_as_a_fixed_numeric_non_root_user_with_kf_as_entry_point():
    _, stages = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    final = stages[-1]
    users = final.args("USER")
    assert users, "the final stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) >= 10000 and (not gid or gid.isdigit()), users[-1]
    assert f"--uid {uid}" in " ".join(final.args("RUN")), "the user exists with that UID"
    assert json.loads(final.args("ENTRYPOINT")[-1]) == ["kf"]
    # Writable state goes to /tmp so the root filesystem can be mounted read-only.
    env = " ".join(final.args("ENV"))
    assert "HOME=/tmp" in env and "KF_DATA_DIR=/tmp/" in env and "PYTHONDONTWRITEBYTECODE=1" in env
    # Inside a pod the API must listen beyond loopback (the settings default is 127.0.0.1).
    assert "KF_HTTP_HOST=0.0.0.0" in env


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes; a directory pattern covers its contents."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        candidates = [pat, pat.rstrip("/") + "/**", pat.replace("**/", "")]
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, c) for c in candidates for p in [path, *prefixes]):
            ignored = not negate
    return ignored


def test_the_build_context_holds_the_code_and_leaves_out_local_state():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    for needed in ("pyproject.toml", "README.md", "kf/cli.py", "kf/regiondata/ostfold.json",
                   "services/membership/migrations/env.py", "ui/__init__.py"):
        assert not _ignored(needed, patterns), needed
    for left_out in (".venv/bin/python", "var/membership.db", ".git/HEAD", "tests/conftest.py",
                     "kf/__pycache__/cli.cpython-311.pyc", "bench/run.py"):
        assert _ignored(left_out, patterns), left_out
    # Everything the Dockerfile copies is in the context.
    _, stages = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    for arg in stages[0].args("COPY"):
        for source in arg.split()[:-1]:
            assert (ROOT / source).exists() and not _ignored(source, patterns), source


def _packaged(path: Path, package_data: list[str]) -> bool:
    """setuptools' rule: a module of a package, or a file matching a package-data glob relative to its package."""
    folder = path.parent
    while folder != ROOT and not (folder / "__init__.py").is_file():
        folder = folder.parent  # the nearest enclosing package (migrations/ folders are not packages)
    if folder == ROOT:
        return False
    if path.suffix == ".py" and path.parent == folder:
        return True
    relative = path.relative_to(folder).as_posix()
    return any(fnmatch.fnmatch(relative, pattern) and relative.count("/") == pattern.count("/")
               for pattern in package_data)


def test_the_installed_wheel_carries_every_file_the_services_read_at_run_time():
    """The image runs from the wheel, not from a checkout: migrations, templates and region data must be in it."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = project["tool"]["setuptools"]["package-data"]["*"]
    tracked = subprocess.run(["git", "ls-files", "kf", "services", "ui"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert tracked
    missing = [f for f in tracked if not _packaged(ROOT / f, package_data)]
    assert not missing, f"not in the wheel, so not in the image (add a package-data pattern): {missing}"
    assert any(f.endswith("migrations/script.py.mako") for f in tracked)
