"""The Kubernetes manifests as an operator applies them: every overlay rendered by `kubectl kustomize`,
validated strictly against the Kubernetes API schemas, and held to the platform's operating rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from kubernetes_validate import utils as kv

from kf.regiondata import load_region
from kf.registry import SERVICES, available_services
from tests.deploy.manifests import OVERLAYS, component, containers, of_kind, render
from ui.settings import UiSettings

KUBERNETES_VERSIONS = (kv.latest_version(), "1.33.0")
SECRET_LIKE = re.compile(r"(PASSWORD|TOKEN|SECRET|DATABASE_URL|CREDS)", re.IGNORECASE)
UI_VARIABLES = {f"KF_UI_{name.upper()}" for name in UiSettings.model_fields}  # the dashboard's settings
EXPECTED = {"ostfold": {"membership", "events", "measures", "metrics", "dashboard"},
            "vestfold-telemark": {"measures", "metrics"}}


overlays = pytest.mark.parametrize("overlay", sorted(EXPECTED))
PART_OF = ("app.kubernetes.io/part-of", "kompetanseforum")


def test_every_region_has_an_overlay():
    assert {p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").is_file()} == set(EXPECTED)


@overlays
def test_overlay_renders_and_validates_strictly_against_kubernetes(overlay):
    docs = render(overlay)
    assert docs
    for version in KUBERNETES_VERSIONS:
        for doc in docs:
            try:
                kv.validate(doc, version, strict=True)
            except kv.SchemaNotFoundError as exc:  # a kind the API server would not know
                pytest.fail(f"{overlay}: {exc.message}")
            except kv.ValidationError as exc:
                pytest.fail(f"{overlay}: {doc['kind']}/{doc['metadata']['name']} invalid for Kubernetes "
                            f"{version}: {'.'.join(map(str, exc.path))}: {exc.message}")


def test_strict_validation_rejects_what_the_api_server_would():
    deployment = json.loads(json.dumps(of_kind(render("ostfold"), "Deployment")[0]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = []  # a typo'd field
    with pytest.raises(kv.ValidationError):
        kv.validate(deployment, kv.latest_version(), strict=True)


@overlays
def test_overlay_runs_exactly_its_regions_services(overlay):
    docs = render(overlay)
    assert {component(d) for d in of_kind(docs, "Deployment")} == EXPECTED[overlay]
    for kind in ("Service", "ServiceAccount"):
        assert {component(d) for d in of_kind(docs, kind)} == EXPECTED[overlay], kind
    named = {d["metadata"]["name"] for d in docs}
    for service in set(SERVICES) - EXPECTED[overlay]:
        assert not [n for n in named if service in n], f"{overlay} must not carry {service}"
    namespaces = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
    assert namespaces == {f"kf-{overlay}"}
    ns = of_kind(docs, "Namespace")[0]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@overlays
def test_every_deployment_has_probes_limits_and_a_locked_down_non_root_context(overlay):
    for deployment in of_kind(render(overlay), "Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] >= 10000, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        assert pod["serviceAccountName"] == name
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in containers(deployment):
            where = f"{name}/{container['name']}"
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx["runAsNonRoot"] is True, where
            assert ctx["capabilities"]["drop"] == ["ALL"] and not ctx["capabilities"].get("add"), where
            assert any(m["mountPath"] == "/tmp" and m["name"] in tmp_volumes for m in container["volumeMounts"]), \
                f"{where}: a read-only root needs a writable /tmp"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{where} {kind}"
        for container in pod["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                assert container[probe]["httpGet"]["port"] in ("http", container["ports"][0]["containerPort"]), name
            # A rollout must not refuse requests: the pod keeps serving while its endpoint is being removed, and the
            # wait ends well within the grace period (the image's /bin/sleep; the root filesystem is read-only).
            wait = container["lifecycle"]["preStop"]["exec"]["command"]
            assert wait[0] == "sleep" and 0 < int(wait[1]) <= pod["terminationGracePeriodSeconds"] / 3, name
        app = pod["containers"][0]
        if component(deployment) == "dashboard":
            assert app["readinessProbe"]["httpGet"]["path"] == app["livenessProbe"]["httpGet"]["path"] == "/_stcore/health"
        else:
            assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"


@overlays
def test_no_secret_is_written_into_the_manifests(overlay):
    docs = render(overlay)
    assert not of_kind(docs, "Secret"), "Secrets are created by the operator, never kept in the repository"
    for config_map in of_kind(docs, "ConfigMap"):
        for key in config_map.get("data", {}):
            assert not SECRET_LIKE.search(key), f"{config_map['metadata']['name']}: {key} belongs in a Secret"
    for deployment in of_kind(docs, "Deployment"):
        for container in containers(deployment):
            for env in container.get("env", []):
                if SECRET_LIKE.search(env["name"]):
                    assert set(env) == {"name", "valueFrom"} and "secretKeyRef" in env["valueFrom"], \
                        f"{deployment['metadata']['name']}: {env['name']} must come from a Secret by secretKeyRef"


@overlays
def test_each_service_migrates_then_serves_and_is_scraped_and_kept_available(overlay):
    docs = render(overlay)
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    budgets = of_kind(docs, "PodDisruptionBudget")
    images = set()
    for deployment in of_kind(docs, "Deployment"):
        name, service = deployment["metadata"]["name"], component(deployment)
        pod = deployment["spec"]["template"]
        images |= {c["image"] for c in containers(deployment)}
        if service != "dashboard":
            assert [c["args"] for c in pod["spec"]["initContainers"]] == [["migrate", service]]
            assert pod["spec"]["containers"][0]["args"] == ["serve", service]
            port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
            assert port == SERVICES[service].port
            assert pod["metadata"]["annotations"] == {"prometheus.io/scrape": "true", "prometheus.io/port": str(port),
                                                      "prometheus.io/path": "/metrics"}
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert services[name]["spec"]["selector"] == selector
        assert all(pod["metadata"]["labels"][k] == v for k, v in selector.items())
        covering = [b for b in budgets if b["spec"]["selector"]["matchLabels"] == selector]
        if deployment["spec"]["replicas"] > 1:
            assert covering and covering[0]["spec"]["minAvailable"] < deployment["spec"]["replicas"], name
        else:
            assert not covering, f"{name}: a budget on a single replica would block node drains"
    assert len(images) == 1 and ":" in images.pop(), "one image, with an explicit tag, for everything"


@overlays
def test_every_referenced_config_map_exists_and_every_variable_is_a_real_setting(overlay):
    docs = render(overlay)
    config_maps = {c["metadata"]["name"]: c for c in of_kind(docs, "ConfigMap")}
    known = {f"KF_{name.upper()}" for spec in available_services() for name in spec.settings_class().model_fields}
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        for volume in pod["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps
        for container in containers(deployment):
            names = [e["name"] for e in container.get("env", [])]
            for source in container.get("envFrom", []):
                ref = source["configMapRef"]["name"]
                assert ref in config_maps, f"{deployment['metadata']['name']}: missing ConfigMap {ref}"
                names += list(config_maps[ref]["data"])
            allowed = UI_VARIABLES if component(deployment) == "dashboard" else known
            unknown = set(names) - allowed
            assert not unknown, f"{deployment['metadata']['name']}: no such setting {sorted(unknown)}"


def test_dashboard_reaches_every_service_by_its_in_cluster_name():
    docs = render("ostfold")
    services = {s["metadata"]["name"]: s["spec"]["ports"][0]["port"] for s in of_kind(docs, "Service")}
    deployment = next(d for d in of_kind(docs, "Deployment") if component(d) == "dashboard")
    [ref] = [s["configMapRef"]["name"] for s in deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]]
    dashboard = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"] == ref)
    assert ref.startswith("kf-dashboard-"), "generated by the overlay, with a content hash"
    for service in SERVICES:
        url = dashboard["data"][f"KF_UI_{service.upper()}_URL"]
        host, port = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", url).groups()
        assert services[host] == int(port), url
    assert dashboard["data"]["KF_UI_REGIONS"] == "ostfold"


def test_the_dashboard_component_leaves_the_region_and_its_services_to_the_overlay():
    """What the dashboard shows (KF_UI_REGIONS) and which services it reads depend on the region: the shared component
    sets none of it, so a region adding the dashboard writes its own instead of inheriting Østfold's."""
    component_dir = OVERLAYS.parent / "base" / "dashboard"
    for path in component_dir.glob("*.yaml"):
        for doc in filter(None, yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            assert doc["kind"] != "ConfigMap", f"{path.name}: the overlay generates kf-dashboard"
            assert set(re.findall(r"KF_UI_[A-Z_]+", yaml.safe_dump(doc))) <= {"KF_UI_TOKEN"}, path.name


def _platform(docs) -> dict:
    return next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("kf-platform"))["data"]


def test_ostfold_runs_on_the_shipped_region_data():
    data = _platform(render("ostfold"))
    assert data["KF_REGION"] == "ostfold" and "KF_REGION_FILE" not in data
    assert load_region("ostfold").id == "ostfold"


def test_vestfold_telemark_brings_its_own_region_data_as_a_mounted_file(tmp_path):
    docs = render("vestfold-telemark")
    data = _platform(docs)
    assert data["KF_REGION"] == "vestfold-telemark"
    file_path = Path(data["KF_REGION_FILE"])
    region_map = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("kf-region-data"))
    assert file_path.name in region_map["data"]
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        volume = next(v["name"] for v in pod["volumes"] if v.get("configMap", {}).get("name") == region_map["metadata"]["name"])
        mounts = pod["containers"][0]["volumeMounts"]
        assert any(m["name"] == volume and m["mountPath"] == str(file_path.parent) and m.get("readOnly") for m in mounts)
    # The file the services will read is valid region data for that region, with its own focus areas.
    copy = tmp_path / file_path.name
    copy.write_text(region_map["data"][file_path.name], encoding="utf-8")
    region = load_region("vestfold-telemark", str(copy))
    assert region.id == "vestfold-telemark"
    assert region.focus_area_ids() != load_region("ostfold").focus_area_ids()


@overlays
def test_the_replay_job_runs_the_metrics_pod_with_the_overlays_exact_settings(overlay):
    task = render(f"{overlay}/replay-metrics")
    for doc in task:
        kv.validate(doc, kv.latest_version(), strict=True)
    assert {d["kind"] for d in task} <= {"Job", "ConfigMap"}, "applying the task touches nothing else"
    job = of_kind(task, "Job")[0]
    assert job["metadata"]["namespace"] == f"kf-{overlay}"
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] == 0
    replay = pod["containers"][0]
    assert replay["args"] == ["replay", "metrics"]

    service = render(overlay)
    metrics = next(d for d in of_kind(service, "Deployment") if component(d) == "metrics")
    app = metrics["spec"]["template"]["spec"]["containers"][0]
    for key in ("image", "env", "envFrom", "volumeMounts", "securityContext"):
        assert replay[key] == app[key], key
    assert pod["securityContext"] == metrics["spec"]["template"]["spec"]["securityContext"]
    assert pod["volumes"] == metrics["spec"]["template"]["spec"]["volumes"]
    # The ConfigMaps the task applies are byte for byte those of the overlay (same content hash in the name).
    live = {c["metadata"]["name"]: c["data"] for c in of_kind(service, "ConfigMap")}
    for config_map in of_kind(task, "ConfigMap"):
        assert live[config_map["metadata"]["name"]] == config_map["data"]


def _renderings() -> list[str]:
    """Every kustomization an operator applies: each overlay and each of its tasks (replay-metrics/)."""
    def applied(folder: Path) -> bool:  # a Kustomization, not a Component such as region/
        file = folder / "kustomization.yaml"
        return file.is_file() and "kind: Kustomization" in file.read_text(encoding="utf-8")

    found = []
    for overlay in sorted(filter(applied, OVERLAYS.iterdir())):
        found += [overlay.name] + [f"{overlay.name}/{task.name}" for task in sorted(filter(applied, overlay.iterdir()))]
    return found


def test_the_label_checks_cover_every_overlay_and_task():
    assert set(_renderings()) >= set(EXPECTED) | {f"{o}/replay-metrics" for o in EXPECTED}


@pytest.mark.parametrize("target", _renderings())
def test_every_object_and_pod_is_part_of_kompetanseforum_and_no_selector_depends_on_it(target):
    """A PodMonitor or a `kubectl get -l app.kubernetes.io/part-of=kompetanseforum` (docs/operations.md section 8)
    finds every object and every pod of the overlay: the services come from components, so the overlay must label
    them, not the base. Selectors stay on the name alone (a Deployment's selector cannot change once applied)."""
    key, value = PART_OF
    docs = render(target)
    for doc in docs:
        where = f"{target}: {doc['kind']}/{doc['metadata']['name']}"
        assert doc["metadata"].get("labels", {}).get(key) == value, where
        if "template" in doc.get("spec", {}):  # Deployments and Jobs: their pods
            assert doc["spec"]["template"]["metadata"]["labels"].get(key) == value, f"{where} pod template"
        selector = doc.get("spec", {}).get("selector", {})
        assert key not in selector and key not in selector.get("matchLabels", {}), f"{where} selector"
    if "/" not in target:
        for kind in ("Deployment", "Service", "PodDisruptionBudget", "ConfigMap", "ServiceAccount"):
            assert of_kind(docs, kind), f"{target} renders no {kind}: nothing checked"


def _selects(selector: dict, labels: dict) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions with In/NotIn/Exists/DoesNotExist) on labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[op]
        if not ok:
            return False
    return True


@overlays
def test_the_guides_pod_monitor_scrapes_exactly_the_service_pods(overlay):
    """The PodMonitor of docs/operations.md section 8 selects every pod that serves /metrics (those the annotations
    have scraped) and no other, on a port of that name."""
    guide = (OVERLAYS.parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    [monitor] = [doc for block in re.findall(r"```yaml\n(.*?)```", guide, re.DOTALL)
                 for doc in yaml.safe_load_all(block) if doc and doc.get("kind") == "PodMonitor"]
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    scraped, selected = set(), set()
    for workload in of_kind(render(overlay), "Deployment"):
        pod = workload["spec"]["template"]
        name = workload["metadata"]["name"]
        if pod["metadata"].get("annotations", {}).get("prometheus.io/scrape") == "true":
            scraped.add(name)
            assert pod["metadata"]["annotations"]["prometheus.io/path"] == endpoint["path"], name
            assert endpoint["port"] in {p["name"] for p in pod["spec"]["containers"][0]["ports"]}, name
        if _selects(monitor["spec"]["selector"], pod["metadata"]["labels"]):
            selected.add(name)
    assert scraped and selected == scraped
