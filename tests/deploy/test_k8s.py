"""deploy/k8s, validated offline: every manifest of the base parses, is a well-formed object, runs
the right chatguard command, references only ConfigMaps/Secrets/labels that exist, keeps the
scaling rules, and the Secret template holds no real-looking value. The hosting modes' overlays
(overlays/cloud, onprem, hybrid) are built by the real kustomize (`kubectl kustomize`, or
`kustomize build`) and checked as built: the vault on with its key file, MirrorMaker in hybrid only,
with the very mm2.properties the tests run. A real Prometheus turns the pods' scrape annotations
into the job names the alerts use."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from schemas.topics import DEFAULT_PARTITIONS
from tests.deploy.promql import REPO
from tests.support.ports import free_port
from tests.support.tools import require_tool

K8S = REPO / "deploy" / "k8s"
BASE = K8S / "base"
SECRET_TEMPLATE = "secret.example.yaml"  # beside base/ and overlays/: one template for every mode
COMMANDS = {"worker": ["chatguard", "worker"], "ingest": ["chatguard", "ingest"], "topics": ["chatguard", "topics", "apply"]}
PLACEHOLDER = re.compile(r"^(CHANGE_ME|<[^>]*>|)$")
SECRET_WORDS = ("KEY", "SECRET", "PASSWORD", "TOKEN", "USERNAME")


def _docs(name: str) -> list[dict]:
    path = K8S / name if name == SECRET_TEMPLATE else BASE / name
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _all() -> dict[str, list[dict]]:
    """The base's files and the Secret template."""
    return {p.name: _docs(p.name) for p in [*sorted(BASE.glob("*.yaml")), K8S / SECRET_TEMPLATE]}


def _objects(include_template: bool = False) -> list[dict]:
    return [d for name, docs in _all().items() if include_template or name != SECRET_TEMPLATE for d in docs]


def _kustomization() -> dict:
    return _docs("kustomization.yaml")[0]


def _resources() -> list[dict]:
    """What `kubectl apply -k` applies: the objects of the files kustomization.yaml lists."""
    return [d for name in _kustomization()["resources"] for d in _docs(name)]


def _by_kind(kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in _resources() if o["kind"] == kind}


def _pod_specs() -> dict[str, dict]:
    """Workload name -> pod spec, for Deployments and Jobs."""
    workloads = {**_by_kind("Deployment"), **_by_kind("Job")}
    return {name: w["spec"]["template"]["spec"] for name, w in workloads.items()}


def _secret_name(variable: str) -> bool:
    """A setting whose value is a secret; a *_FILE setting is a path (the secret is in the file)."""
    return any(word in variable for word in SECRET_WORDS) and not variable.endswith("_FILE")


def _settings_read_by_code() -> set[str]:
    names = set()
    for package in ("pipeline", "connectors", "schemas", "runtime", "vault"):
        for path in (REPO / package).rglob("*.py"):
            names |= set(re.findall(r"CHATGUARD_[A-Z0-9_]+", path.read_text()))
    return names


def test_every_file_parses_and_every_object_is_well_formed():
    files = _all()
    assert len(files) >= 7
    for name, docs in files.items():
        assert docs, f"{name}: empty"
        for doc in docs:
            if name == "kustomization.yaml":
                assert doc["kind"] == "Kustomization"
                continue
            assert doc.get("apiVersion") and doc.get("kind"), name
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"]), (name, doc["metadata"])


def test_kustomization_lists_every_manifest_but_the_secret_template():
    listed = _kustomization()["resources"]
    present = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(listed) == present
    # No kustomization anywhere takes the template: apply -k would overwrite the real Secrets.
    for kustomization in (REPO / "deploy").rglob("kustomization.yaml"):
        doc = yaml.safe_load(kustomization.read_text())
        taken = [*doc.get("resources", []), *doc.get("components", []), *(p.get("path", "") for p in doc.get("patches", []))]
        assert not [t for t in taken if t.endswith(SECRET_TEMPLATE)], kustomization
    assert _kustomization()["namespace"] == "chatguard"
    assert not [o for o in _resources() if o["kind"] == "Secret"]


def test_all_required_objects_are_there():
    kinds = {(o["kind"], o["metadata"]["name"]) for o in _resources()}
    assert {
        ("Namespace", "chatguard"),
        ("ConfigMap", "chatguard-config"),
        ("Deployment", "chatguard-worker"),
        ("Deployment", "chatguard-ingest"),
        ("Service", "chatguard-ingest"),
        ("HorizontalPodAutoscaler", "chatguard-ingest"),
        ("Job", "chatguard-topics-apply"),
        ("PodDisruptionBudget", "chatguard-worker"),
        ("PodDisruptionBudget", "chatguard-ingest"),
    } <= kinds


def test_containers_run_chatguard_commands_from_the_chatguard_image():
    specs = _pod_specs()
    assert specs["chatguard-worker"]["containers"][0]["command"] == COMMANDS["worker"]
    assert specs["chatguard-ingest"]["containers"][0]["command"] == COMMANDS["ingest"]
    assert specs["chatguard-topics-apply"]["containers"][0]["command"] == COMMANDS["topics"]
    for name, spec in specs.items():
        for container in spec["containers"]:
            assert container["image"] == "chatguard", name  # the kustomization's images: sets the real one
            assert container["command"][0] == "chatguard", name
            assert container["command"][1] in {"worker", "ingest", "topics", "canary"}, name
    assert [i["name"] for i in _kustomization()["images"]] == ["chatguard"]


def test_secret_template_holds_placeholders_only():
    secrets = [d for d in _docs(SECRET_TEMPLATE)]
    assert secrets and all(s["kind"] == "Secret" for s in secrets)
    text = (K8S / SECRET_TEMPLATE).read_text()
    assert "kubectl -n chatguard create secret generic" in text
    for secret in secrets:
        values = dict(secret.get("stringData") or {})
        for key, encoded in (secret.get("data") or {}).items():
            values[key] = base64.b64decode(encoded).decode()
        for key, value in values.items():
            assert key.startswith("CHATGUARD_"), key
            assert PLACEHOLDER.match(str(value)), f"{secret['metadata']['name']}.{key} looks like a real value"
    # Nothing that looks like a key or a token anywhere in the file, comments included.
    assert not re.search(r"\b[0-9a-fA-F]{24,}\b|\b[A-Za-z0-9+/]{32,}={0,2}", text)


def test_secret_and_config_references_resolve_and_split_correctly():
    config = _by_kind("ConfigMap")["chatguard-config"]["data"]
    template = {s["metadata"]["name"]: s for s in _docs(SECRET_TEMPLATE)}
    known = _settings_read_by_code()
    for key in config:
        assert key in known, f"ConfigMap key {key}: no such setting in the code"
        assert not _secret_name(key), f"{key} belongs in a Secret"
    for secret in template.values():
        for key in secret["stringData"]:
            assert key in known, f"Secret key {key}: no such setting in the code"
    for name, spec in _pod_specs().items():
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in _by_kind("ConfigMap"), name
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in template, name
            for env in container.get("env", []):
                assert "value" in env and not _secret_name(env["name"]), (name, env["name"])
    # Least privilege: the pseudonym key is the worker's alone; channel secrets the ingest's.
    assert "CHATGUARD_PSEUDONYM_KEY" in template["chatguard-worker"]["stringData"]
    assert "CHATGUARD_PSEUDONYM_KEY" not in template["chatguard-ingest"]["stringData"]
    assert "CHATGUARD_SLACK_SIGNING_SECRET" not in template["chatguard-worker"]["stringData"]


def test_selectors_match_pod_labels():
    deployments = _by_kind("Deployment")
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), name
    ingest_labels = deployments["chatguard-ingest"]["spec"]["template"]["metadata"]["labels"]
    service = _by_kind("Service")["chatguard-ingest"]["spec"]
    assert service["selector"].items() <= ingest_labels.items()
    ingest_ports = {p["name"]: p["containerPort"] for p in deployments["chatguard-ingest"]["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert all(p["targetPort"] in ingest_ports for p in service["ports"])
    hpa = _by_kind("HorizontalPodAutoscaler")["chatguard-ingest"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "chatguard-ingest"}
    assert 1 < hpa["minReplicas"] < hpa["maxReplicas"]
    assert "replicas" not in deployments["chatguard-ingest"]["spec"], "the HPA owns the ingest replica count"
    for name, pdb in _by_kind("PodDisruptionBudget").items():
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert any(selector.items() <= d["spec"]["template"]["metadata"]["labels"].items() for d in deployments.values()), name


def test_worker_follows_the_scaling_rules():
    worker = _by_kind("Deployment")["chatguard-worker"]
    assert 1 <= worker["spec"]["replicas"] <= DEFAULT_PARTITIONS, "at most one active worker per chat.raw partition"
    pod = worker["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    resources = container["resources"]
    assert resources["requests"]["cpu"] == resources["limits"]["cpu"] == "1200m", "a core for detection, a little for Faust"
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = _by_kind("ConfigMap")["chatguard-config"]["data"]
    assert ports["metrics"] == int(config["CHATGUARD_METRICS_PORT"])
    assert config["CHATGUARD_METRICS_ADDR"] == "0.0.0.0", "probes and Prometheus reach the pod from outside"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/metrics", "port": "metrics"}, probe
    assert pod["terminationGracePeriodSeconds"] >= 30
    assert pod["affinity"]["podAntiAffinity"]
    # Read-only root: Faust's data directory must point into a writable volume.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    datadir = {e["name"]: e["value"] for e in container["env"]}["APP_DATADIR"]
    assert any(datadir.startswith(m["mountPath"]) for m in container["volumeMounts"])
    assert worker["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_ingest_drains_before_stopping():
    deployment = _by_kind("Deployment")["chatguard-ingest"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    sleep = container["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep" and int(sleep[1]) < pod["terminationGracePeriodSeconds"]
    config = _by_kind("ConfigMap")["chatguard-config"]["data"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["http"] == int(config["CHATGUARD_INGEST_PORT"])
    assert config["CHATGUARD_INGEST_HOST"] == "0.0.0.0"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"]["cpu"], "the HPA scales on CPU utilisation of the request"


def test_ingest_metrics_are_on_their_own_port_which_the_service_does_not_expose():
    deployment = _by_kind("Deployment")["chatguard-ingest"]
    template = deployment["spec"]["template"]
    (container,) = template["spec"]["containers"]
    config = _by_kind("ConfigMap")["chatguard-config"]["data"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["metrics"] == int(config["CHATGUARD_INGEST_METRICS_PORT"]) != ports["http"]
    assert int(template["metadata"]["annotations"]["prometheus.io/port"]) == ports["metrics"]
    service = _by_kind("Service")["chatguard-ingest"]
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]


def test_pods_run_as_the_images_non_root_user():
    uid = re.search(r"^USER (\d+)", (REPO / "deploy" / "Dockerfile").read_text(), re.M)
    assert uid, "the Dockerfile must set a numeric USER for runAsNonRoot"
    for name, spec in _pod_specs().items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == int(uid.group(1)), name
        for container in spec["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name


def test_scrape_annotations():
    for name, deployment in _by_kind("Deployment").items():
        template = deployment["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/path"] == "/metrics", name
        ports = [p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])]
        assert int(annotations["prometheus.io/port"]) in ports, name
        assert template["metadata"]["labels"]["app.kubernetes.io/name"] == "chatguard"
        assert f"chatguard-{template['metadata']['labels']['app.kubernetes.io/component']}" == name


def test_readme_explains_partitions_and_scaling():
    text = (K8S / "README.md").read_text()
    assert f"{DEFAULT_PARTITIONS}" in text and "schemas/topics.py" in text
    for phrase in ("shrink", "one worker per core", "partition", "kubectl create secret"):
        assert phrase in text.lower() or phrase in text, phrase


def _kustomize(path: Path) -> list[dict]:
    """`kubectl kustomize PATH` (or `kustomize build PATH`): the objects `kubectl apply -k` would apply."""
    if shutil.which("kubectl"):
        command = [shutil.which("kubectl") or "kubectl", "kustomize", str(path)]
    else:
        command = [require_tool("kustomize", "kubectl, or: go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0"), "build", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def test_kustomize_build():
    built = _kustomize(BASE)
    assert len(built) == len(_resources())
    for obj in built:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "chatguard", obj["metadata"]["name"]
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            assert container["image"].endswith("chatguard:0.1.0"), container["image"]


def _fake_pod(name: str, component: str, port: int, *, annotated: bool = True, phase: str = "Running") -> dict:
    """A target as Prometheus' Kubernetes pod discovery describes it."""
    labels = {
        "__meta_kubernetes_pod_name": name,
        "__meta_kubernetes_namespace": "chatguard",
        "__meta_kubernetes_pod_phase": phase,
        "__meta_kubernetes_pod_label_app_kubernetes_io_name": "chatguard",
        "__meta_kubernetes_pod_label_app_kubernetes_io_component": component,
    }
    if annotated:
        labels.update(
            __meta_kubernetes_pod_annotation_prometheus_io_scrape="true",
            __meta_kubernetes_pod_annotation_prometheus_io_port=str(port),
            __meta_kubernetes_pod_annotation_prometheus_io_path="/metrics",
        )
    # Discovery gives podIP:containerPort; relabelling must use the annotated port instead.
    return {"targets": [f"127.0.0.9:{port + 1}"], "labels": labels}


def test_k8s_scrape_config_gives_the_alerts_job_names(tmp_path: Path):
    """deploy/prometheus/prometheus-k8s.yml with its Kubernetes discovery swapped for files
    holding the same __meta_kubernetes_* labels (the Debian server is built without Kubernetes
    discovery): a real Prometheus must name the jobs as alerts.yml expects."""
    prometheus = require_tool("prometheus", "apt-get install prometheus")
    promtool = require_tool("promtool", "apt-get install prometheus")
    config = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus-k8s.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    shutil.copy(REPO / "deploy" / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    (scrape,) = config["scrape_configs"]
    assert scrape["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["chatguard"]}}]
    del scrape["kubernetes_sd_configs"]
    scrape["file_sd_configs"] = [{"files": [str(tmp_path / "pods.json")], "refresh_interval": "1s"}]
    pods = [
        _fake_pod("chatguard-worker-7d9f-abcde", "worker", 9308),
        _fake_pod("chatguard-ingest-5c8b-fghij", "ingest", 9309),
        _fake_pod("chatguard-canary-6f4d-klmno", "canary", 9308),
        _fake_pod("chatguard-topics-apply-xyz12", "topics", 9308, annotated=False),
        _fake_pod("chatguard-worker-old-pqrst", "worker", 9308, phase="Succeeded"),
    ]
    (tmp_path / "pods.json").write_text(json.dumps(pods))
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    port = free_port()
    with (tmp_path / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(
            [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets", timeout=1) as response:
                    data = json.loads(response.read())["data"]
                if len(data["activeTargets"]) + len(data["droppedTargets"]) == len(pods):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "targets never discovered"
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    active = {t["labels"]["job"]: t for t in data["activeTargets"]}
    assert set(active) == {"chatguard-worker", "chatguard-ingest", "chatguard-canary"}
    assert active["chatguard-worker"]["labels"]["instance"] == "chatguard-worker-7d9f-abcde"
    assert active["chatguard-worker"]["scrapeUrl"] == "http://127.0.0.9:9308/metrics"
    assert active["chatguard-ingest"]["scrapeUrl"] == "http://127.0.0.9:9309/metrics"
    assert len(data["droppedTargets"]) == 2  # not annotated; finished


# -- hosting modes: the overlays, built ------------------------------------------------------------

MODES = ("cloud", "onprem", "hybrid")
VAULT_PODS = {"chatguard-worker": "worker", "chatguard-vault-api": "vault-api", "chatguard-forms": "forms"}
MIRRORMAKER = REPO / "deploy" / "mirrormaker"


@pytest.fixture(scope="module")
def overlays() -> dict[str, list[dict]]:
    return {mode: _kustomize(K8S / "overlays" / mode) for mode in MODES}


def _named(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_each_mode_adds_to_the_last(overlays):
    """cloud: the base and the vault; onprem: the same, nothing leaving the premises; hybrid:
    on-premise plus MirrorMaker and its one way out."""
    names = {mode: {(o["kind"], o["metadata"]["name"]) for o in objects} for mode, objects in overlays.items()}
    base = {(o["kind"], o["metadata"]["name"]) for o in _kustomize(BASE)}
    vault = {("Deployment", "chatguard-vault-api"), ("Service", "chatguard-vault-api"), ("NetworkPolicy", "chatguard-vault-api"),
             ("Deployment", "chatguard-forms"), ("Service", "chatguard-forms")}  # fmt: skip
    assert names["cloud"] == base | vault
    assert names["onprem"] == names["cloud"] | {("NetworkPolicy", "chatguard-egress")}
    mirror_config = [n for k, n in names["hybrid"] if k == "ConfigMap" and n.startswith("chatguard-mirrormaker-")]
    assert len(mirror_config) == 1, "the MirrorMaker ConfigMap, named by its content's hash"
    assert names["hybrid"] == names["onprem"] | {
        ("Deployment", "chatguard-mirrormaker"),
        ("NetworkPolicy", "chatguard-mirrormaker-egress"),
        ("ConfigMap", mirror_config[0]),
    }
    for mode, objects in overlays.items():
        for obj in objects:
            if obj["kind"] != "Namespace":
                assert obj["metadata"]["namespace"] == "chatguard", (mode, obj["metadata"]["name"])
            assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "chatguard", (mode, obj["metadata"]["name"])


def _pods(objects: list[dict]) -> dict[str, dict]:
    workloads = {**_named(objects, "Deployment"), **_named(objects, "Job")}
    return {name: w["spec"]["template"]["spec"] for name, w in workloads.items()}


def test_the_vault_is_on_with_its_master_key_file(overlays):
    uid = int(re.search(r"^USER (\d+)", (REPO / "deploy" / "Dockerfile").read_text(), re.M).group(1))
    for mode, objects in overlays.items():
        config = _named(objects, "ConfigMap")["chatguard-config"]["data"]
        assert config["CHATGUARD_VAULT"] == "on", mode
        key_file = Path(config["CHATGUARD_VAULT_MASTER_KEY_FILE"])
        pods = _pods(objects)
        for name, container_name in VAULT_PODS.items():
            pod = pods[name]
            volumes = {v["name"]: v for v in pod["volumes"]}
            (container,) = [c for c in pod["containers"] if c["name"] == container_name]
            mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
            key_mount = mounts[str(key_file.parent)]
            assert key_mount.get("readOnly") is True, (mode, name)
            assert volumes[key_mount["name"]]["emptyDir"]["medium"] == "Memory", (mode, name)  # never on the node's disk
            # The init container copies the key from the Secret to a 0400 file of the image's user.
            (init,) = pod["initContainers"]
            assert init["image"] == container["image"], (mode, name)
            assert init["command"][:3] == ["install", "-m", "0400"] and init["command"][-1] == str(key_file), (mode, name)
            source = Path(init["command"][-2])
            init_mounts = {m["mountPath"]: m["name"] for m in init["volumeMounts"]}
            assert init_mounts[str(key_file.parent)] == key_mount["name"], (mode, name)
            secret = volumes[init_mounts[str(source.parent)]]["secret"]
            assert secret["secretName"] == "chatguard-vault-master-key", (mode, name)
            assert [i["path"] for i in secret["items"]] == [source.name], (mode, name)
            # The Secret's file is group-readable through fsGroup: the init container's user reads it.
            assert pod["securityContext"]["runAsUser"] == pod["securityContext"]["fsGroup"] == uid, (mode, name)
            assert init["securityContext"]["readOnlyRootFilesystem"] is True, (mode, name)


def test_vault_api_and_forms(overlays):
    from vault.settings import FormsSettings, VaultApiSettings

    template = {s["metadata"]["name"]: s["stringData"] for s in _docs(SECRET_TEMPLATE)}
    known = _settings_read_by_code()
    for mode, objects in overlays.items():
        config = _named(objects, "ConfigMap")["chatguard-config"]["data"]
        for key in config:
            assert key in known, f"{mode}: ConfigMap key {key} is read by no code"
            assert not _secret_name(key), f"{mode}: {key} belongs in a Secret"
        assert config["CHATGUARD_VAULT_API_PORT"] == str(VaultApiSettings().port) == "8091"
        assert config["CHATGUARD_FORMS_PORT"] == str(FormsSettings().port) == "8092"
        services = _named(objects, "Service")
        for name, command, port, secret in (
            ("chatguard-vault-api", ["chatguard", "vault", "serve"], 8091, "chatguard-vault-api"),
            ("chatguard-forms", ["chatguard", "vault", "forms"], 8092, "chatguard-forms"),
        ):
            (container,) = _pods(objects)[name]["containers"]
            assert container["command"] == command, (mode, name)
            assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": port}, (mode, name)
            assert [p["targetPort"] for p in services[name]["spec"]["ports"]] == ["http"], (mode, name)
            refs = [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s]
            assert refs == [secret] and secret in template, (mode, name)
    # What each vault pod needs from its Secret; the master key is never among them.
    assert {"CHATGUARD_VAULT_API_TOKEN", "CHATGUARD_PSEUDONYM_KEY", "CHATGUARD_VAULT_DATABASE_URL"} <= set(template["chatguard-vault-api"])
    assert {"CHATGUARD_FORMS_BOT_TOKEN", "CHATGUARD_PSEUDONYM_KEY", "CHATGUARD_VAULT_DATABASE_URL"} <= set(template["chatguard-forms"])
    assert "CHATGUARD_VAULT_DATABASE_URL" in template["chatguard-worker"]
    for keys in template.values():
        assert not [k for k in keys if "MASTER_KEY" in k]
    # Only the console's pods reach the vault API.
    policy = _named(overlays["cloud"], "NetworkPolicy")["chatguard-vault-api"]["spec"]
    assert policy["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"chatguard.io/vault-api-client": "true"}}}], "ports": [{"port": "http"}]}]


def test_new_pods_keep_the_security_rules(overlays):
    for mode, objects in overlays.items():
        for name, pod in _pods(objects).items():
            assert pod["securityContext"]["runAsNonRoot"] is True, (mode, name)
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, (mode, name)
            for container in [*pod.get("initContainers", []), *pod["containers"]]:
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False, (mode, name)
                assert context["readOnlyRootFilesystem"] is True, (mode, name)
                assert context["capabilities"]["drop"] == ["ALL"], (mode, name)
                assert container["resources"]["limits"]["memory"], (mode, name)
                if container["image"] != "apache/kafka:4.1.1":
                    assert container["image"] == "registry.example.com/chatguard:0.1.0", (mode, name)


def test_nothing_leaves_on_premise_but_mirrormaker_in_hybrid(overlays):
    for mode in ("onprem", "hybrid"):
        egress = _named(overlays[mode], "NetworkPolicy")["chatguard-egress"]["spec"]
        assert egress["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "chatguard"}}
        assert egress["policyTypes"] == ["Egress"]
        blocks = [peer["ipBlock"]["cidr"] for rule in egress["egress"] for peer in rule["to"] if "ipBlock" in peer]
        assert "0.0.0.0/0" not in blocks and all(b.endswith("/24") for b in blocks), blocks
    door = _named(overlays["hybrid"], "NetworkPolicy")["chatguard-mirrormaker-egress"]["spec"]
    assert door["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "mirrormaker"
    assert "chatguard-egress" not in _named(overlays["cloud"], "NetworkPolicy")


def test_hybrid_runs_mirrormaker_with_the_tested_file(overlays):
    from tests.support.mirrormaker import env_references, mm2_properties

    objects = overlays["hybrid"]
    assert not [o for mode in ("cloud", "onprem") for o in overlays[mode] if "mirrormaker" in o["metadata"]["name"]]
    (config,) = [c for n, c in _named(objects, "ConfigMap").items() if n.startswith("chatguard-mirrormaker-")]
    assert config["data"] == {"mm2.properties": (MIRRORMAKER / "mm2.properties").read_text()}
    deployment = _named(objects, "Deployment")["chatguard-mirrormaker"]
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    kafka_version = re.search(r"<kafka.version>([^<]+)<", (REPO / "deploy" / "kafka" / "pom.xml").read_text()).group(1)
    assert container["image"] == f"apache/kafka:{kafka_version}", "the Kafka version the tests run"
    assert container["command"] == ["/opt/kafka/bin/connect-mirror-maker.sh", "/etc/mirrormaker/mm2.properties"]
    mount = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}["/etc/mirrormaker"]
    assert {v["name"]: v for v in pod["volumes"]}[mount]["configMap"]["name"] == config["metadata"]["name"]
    assert [s["secretRef"]["name"] for s in container["envFrom"]] == ["chatguard-mirrormaker"]
    # The Secret's documented command sets every MM2_* variable the file reads, and no other.
    documented = set(re.findall(r"--from-literal=(MM2_[A-Z0-9_]+)=", (MIRRORMAKER / "deployment.yaml").read_text()))
    assert documented == env_references(mm2_properties())
