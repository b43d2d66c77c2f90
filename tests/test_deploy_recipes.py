"""The deployment recipes keep the limits and settings that survive a lecture.

nginx (deploy/nginx.conf.template, run by tests/browser/test_replicas.py), the Kubernetes example
(deploy/kubernetes.yaml, and its Ingress, also quoted in docs/deploy.md) and the Dockerfile are read
here: the body limit fits the app's upload cap, the cookie follows the replica that answered,
probes wait at least 5 s, the image is pinned, and the pod runs unprivileged. (No cluster or Docker
engine is available to run the last two; these checks are what can be checked.)
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")  # PyYAML, in requirements-dev.txt

ROOT = Path(__file__).resolve().parents[1]
UPLOAD_MB = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
NGINX = (ROOT / "deploy" / "nginx.conf.template").read_text()
DOCS = (ROOT / "docs" / "deploy.md").read_text()


def megabytes(size: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", size).groups()
    return int(number) * {"": 1 / 2**20, "k": 1 / 1024, "m": 1, "g": 1024}[unit.lower()]


def nginx_directive(name: str) -> str:
    lines = [line.split("#")[0].strip() for line in NGINX.splitlines()]
    values = [line[len(name) :].strip().rstrip(";") for line in lines if line.startswith(name + " ")]
    assert len(values) == 1, (name, values)
    return values[0]


def test_nginx_takes_an_upload_the_app_takes_and_no_more():
    body = megabytes(nginx_directive("client_max_body_size"))
    assert UPLOAD_MB < body <= UPLOAD_MB + 2  # the file plus its multipart framing


def test_nginx_pins_the_cookie_to_the_replica_that_answered():
    assert nginx_directive("proxy_pass") == "http://$pinned"
    assert "st_route=$served_route" in nginx_directive("add_header Set-Cookie")
    assert re.search(r"map \$upstream_addr \$served_route", NGINX)
    assert "proxy_request_buffering off" in NGINX


def k8s_documents() -> list[dict]:
    return [d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text()) if d]


def of_kind(kind: str) -> dict:
    return next(d for d in k8s_documents() if d["kind"] == kind)


def test_kubernetes_image_is_pinned_and_pulled_deliberately():
    for container in of_kind("Deployment")["spec"]["template"]["spec"]["containers"]:
        image = container["image"]
        assert "@sha256:" in image or (":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")), image
        assert container.get("imagePullPolicy") in ("IfNotPresent", "Always"), container


def test_kubernetes_probes_wait_at_least_five_seconds():
    for container in of_kind("Deployment")["spec"]["template"]["spec"]["containers"]:
        probes = {
            name: container[name] for name in ("readinessProbe", "livenessProbe", "startupProbe") if name in container
        }
        assert {"readinessProbe", "livenessProbe"} <= set(probes)
        for name, probe in probes.items():
            assert probe.get("timeoutSeconds", 1) >= 5, (name, probe)
            assert probe.get("failureThreshold", 3) >= 3, (name, probe)


def test_kubernetes_pod_runs_unprivileged_on_a_read_only_root():
    pod = of_kind("Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        # The one writable place is a bounded scratch volume (uploads over 1 MB are spooled to /tmp).
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "sizeLimit" in volumes[mounts["/tmp"]]["emptyDir"]


def ingress_annotations(text: str) -> dict[str, str]:
    return dict(re.findall(r'(nginx\.ingress\.kubernetes\.io/[\w-]+): "([^"]*)"', text))


@pytest.mark.parametrize("where", ["deploy/kubernetes.yaml", "docs/deploy.md"])
def test_the_ingress_example_keeps_uploads_and_failback(where):
    annotations = ingress_annotations((ROOT / where).read_text())
    assert UPLOAD_MB < megabytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"]) <= UPLOAD_MB + 2
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert annotations["nginx.ingress.kubernetes.io/session-cookie-change-on-failure"] == "true"


def test_the_docs_quote_the_same_ingress_as_the_manifest():
    assert ingress_annotations(DOCS) == ingress_annotations((ROOT / "deploy" / "kubernetes.yaml").read_text())


def test_docker_healthcheck_waits_long_enough():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    timeout = re.search(r"HEALTHCHECK .*--timeout=(\d+)s", dockerfile)
    assert timeout and int(timeout.group(1)) >= 5
