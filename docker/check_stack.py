#!/usr/bin/env python3
"""Cross-file consistency checks for docker/ that no schema can express.

The compose-spec and Kubernetes schemas say each file is well formed; this says the files agree
with each other and with the platform's conventions: every subgraph is wired, scraped and
health-checked on its own port, the gateway knows every subgraph, secrets only travel as files,
referenced files and names exist, probes and NetworkPolicies follow the agreed shape, and the
Grafana dashboard only queries metrics the gateway promises to export.

Usage: check_stack.py DOCKER_DIR RENDERED_K8S.yaml [RENDERED_K8S.yaml ...]
       check_stack.py --dashboard-rules OUT.yml DASHBOARD.json ...   (PromQL for promtool)
Exit status 1 and one line per problem when something is off.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

# The platform's services and their ports (config `subgraphs.<name>.listen`, `gateway.listen`).
SUBGRAPHS = {"identity": 4001, "authz": 4002, "audit": 4003, "blog": 4004}
GATEWAY_PORT = 4000

# Metrics the dashboard may use: the gateway's contract (see docker/README.md) plus
# Prometheus' own `up`.
GATEWAY_METRICS = {
    "gateway_requests_total",
    "gateway_request_duration_seconds_bucket",
    "gateway_errors_total",
    "gateway_subgraph_request_duration_seconds_bucket",
    "gateway_subgraph_request_duration_seconds_count",
    "gateway_rate_limited_total",
    "gateway_cache_hits_total",
    "gateway_cache_misses_total",
    "up",
}

# Third-party images that ship no shell or HTTP client, so compose cannot health-check them.
NO_HEALTHCHECK_OK = {
    "otel-collector": "image is FROM scratch; Prometheus scrapes it instead",
    "jaeger": "image ships no HTTP client; Prometheus scrapes it instead",
}

SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|DATABASE_URL|REDIS_URL|__REDIS$|PRIVATE_KEY")
CREDENTIAL_IN_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^@\s]+@", re.I)
PROMQL_IDENT = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|\[)")
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")

    def check(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.add(where, what)


# The gateway's first JWT provider (a list element, set by index): config/default.yaml's
# loopback URL is wrong in a container.
JWKS_PROVIDER_KEY = "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__0__JWKS_URL"


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def env_dict(environment) -> dict[str, str]:
    if environment is None:
        return {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {str(k): "" if v is None else str(v) for k, v in environment.items()}


def platform_services(compose: dict) -> dict[str, dict]:
    image = str(compose.get("x-platform-image", {}).get("image", ""))
    return {name: svc for name, svc in compose["services"].items() if svc.get("image") == image}


def check_secret_env(p: Problems, where: str, env: dict[str, str]) -> None:
    """Secret-bearing keys must be `*_FILE` references; no value may embed credentials."""
    for key, value in env.items():
        if CREDENTIAL_IN_URL.search(value):
            p.add(where, f"{key} embeds credentials in a URL")
        if SECRET_WORDS.search(key) and not key.endswith("_FILE"):
            p.add(where, f"{key} looks secret: pass it as {key}_FILE pointing at a secret file")


def url_host_port(url: str) -> tuple[str, int | None]:
    match = re.match(r"^[a-z]+://([^/:]+)(?::(\d+))?", url)
    if not match:
        return "", None
    return match.group(1), int(match.group(2)) if match.group(2) else None


def check_compose(p: Problems, root: Path) -> dict:
    compose_path = root / "compose.yaml"
    compose = load_yaml(compose_path)
    services: dict[str, dict] = compose["services"]
    secrets = set(compose.get("secrets", {}))
    volumes = set(compose.get("volumes", {}))
    networks = set(compose.get("networks", {}))
    where = "compose.yaml"

    for name, svc in services.items():
        at = f"{where} services.{name}"
        deps = svc.get("depends_on", {})
        for dep in deps if isinstance(deps, list) else deps.keys():
            p.check(dep in services, at, f"depends_on unknown service {dep!r}")
        for secret in svc.get("secrets", []):
            secret_name = secret if isinstance(secret, str) else secret.get("source")
            p.check(secret_name in secrets, at, f"uses undeclared secret {secret_name!r}")
        for net in svc.get("networks", []):
            p.check(net in networks, at, f"joins undeclared network {net!r}")
        for mount in svc.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount.get("source", "")
            if source.startswith("."):
                p.check((root / source).exists(), at, f"bind-mount source {source} does not exist")
            else:
                p.check(source in volumes, at, f"uses undeclared volume {source!r}")
        one_shot = svc.get("restart") == "no"
        if not one_shot:
            p.check(svc.get("restart") in {"always", "unless-stopped", "on-failure"}, at,
                    "long-running service needs a restart policy")
            p.check("healthcheck" in svc or name in NO_HEALTHCHECK_OK, at, "has no healthcheck")
        p.check("logging" in svc, at, "needs bounded logging (x-logging)")
        limits = svc.get("deploy", {}).get("resources", {}).get("limits", {})
        p.check("cpus" in limits and "memory" in limits, at, "needs deploy.resources.limits cpus+memory")
        if "ports" in svc and name not in {"lb"}:
            for port in svc["ports"]:
                p.check(str(port).startswith("127.0.0.1:"), at,
                        f"ops port {port} must bind to 127.0.0.1; only the load balancer is public")
        env = env_dict(svc.get("environment"))
        check_secret_env(p, at, env)
        for key, value in env.items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                secret_name = value.removeprefix("/run/secrets/")
                mounted = {s if isinstance(s, str) else s.get("target", s.get("source"))
                           for s in svc.get("secrets", [])}
                p.check(secret_name in mounted, at, f"{key} reads {value} but that secret is not mounted")

    for name, secret in compose.get("secrets", {}).items():
        p.check("file" in secret or "environment" in secret or secret.get("external"),
                f"{where} secrets.{name}", "must come from a file, the environment or be external")

    plat = platform_services(compose)
    p.check("migrate" in plat and plat["migrate"].get("command") == ["migrate"], where,
            "needs a one-shot `migrate` service running `platform migrate`")
    for sub, port in SUBGRAPHS.items():
        at = f"{where} services.{sub}"
        svc = plat.get(sub)
        if svc is None:
            p.add(where, f"no service for subgraph {sub}")
            continue
        p.check(svc.get("command") == ["subgraph", sub], at, "command must be [subgraph, name]")
        env = env_dict(svc.get("environment"))
        listen = env.get(f"PLATFORM__SUBGRAPHS__{sub.upper()}__LISTEN", "")
        p.check(listen.endswith(f":{port}"), at, f"must listen on :{port}, got {listen!r}")
        p.check(f"PLATFORM__SUBGRAPHS__{sub.upper()}__DATABASE_URL_FILE" in env, at,
                "needs its database URL as a secret file")
        test = " ".join(svc.get("healthcheck", {}).get("test", []))
        p.check(f"127.0.0.1:{port}/health" in test, at, f"healthcheck must call :{port}/health")
        dep = svc.get("depends_on", {}).get("migrate", {})
        p.check(dep.get("condition") == "service_completed_successfully", at,
                "must wait for migrate with service_completed_successfully")

    gateway = plat.get("gateway")
    if gateway is None:
        p.add(where, "no gateway service")
    else:
        at = f"{where} services.gateway"
        p.check(gateway.get("deploy", {}).get("replicas", 1) >= 2, at, "needs at least 2 replicas")
        env = env_dict(gateway.get("environment"))
        p.check(env.get("PLATFORM__GATEWAY__LISTEN", "").endswith(f":{GATEWAY_PORT}"), at,
                f"must listen on :{GATEWAY_PORT}")
        for sub, port in SUBGRAPHS.items():
            url = env.get(f"PLATFORM__GATEWAY__SUBGRAPHS__{sub.upper()}__URL", "")
            p.check(url_host_port(url) == (sub, port), at, f"subgraph URL for {sub} must be {sub}:{port}, got {url!r}")
        p.check("ports" not in gateway, at, "gateways are reached through the load balancer only")
        jwks = env.get(JWKS_PROVIDER_KEY, "")
        p.check(url_host_port(jwks) == ("identity", SUBGRAPHS["identity"]), at,
                f"{JWKS_PROVIDER_KEY} must be identity's JWKS (identity:{SUBGRAPHS['identity']}), got {jwks!r}")

    for name, svc in plat.items():
        env = env_dict(svc.get("environment"))
        p.check(env.get("PLATFORM_ENV") == "production", f"{where} services.{name}", "PLATFORM_ENV must be production")
        p.check(env.get("PLATFORM__TELEMETRY__SERVICE_NAME") == name, f"{where} services.{name}",
                "PLATFORM__TELEMETRY__SERVICE_NAME must name the service, so traces and logs tell them apart")
        otlp = env.get("PLATFORM__TELEMETRY__OTLP_ENDPOINT", "")
        p.check(url_host_port(otlp)[0] in services, f"{where} services.{name}", f"OTLP endpoint {otlp!r} is not a compose service")
        p.check(svc.get("read_only") is True and svc.get("cap_drop") == ["ALL"],
                f"{where} services.{name}", "platform containers run read-only with all capabilities dropped")
    return compose


SIDE_CONFIGS = (
    "prometheus.yml",
    "haproxy.cfg",
    "redis.conf",
    "otel-collector.yaml",
    "grafana/provisioning/datasources/datasources.yaml",
    "grafana/provisioning/dashboards/dashboards.yaml",
)


def check_side_configs(p: Problems, root: Path, compose: dict) -> None:
    missing = [name for name in SIDE_CONFIGS if not (root / name).is_file()]
    for name in missing:
        p.add(name, "missing")
    if missing:
        return
    services = compose["services"]

    # Prometheus scrapes every platform process.
    prom = load_yaml(root / "prometheus.yml")
    static_targets = {t for job in prom["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
    dns_names = {(n, sd["port"]) for job in prom["scrape_configs"] for sd in job.get("dns_sd_configs", []) for n in sd["names"]}
    p.check(("gateway", GATEWAY_PORT) in dns_names, "prometheus.yml", "must discover every gateway replica via DNS on :4000")
    for name, _port in dns_names:
        p.check(name in services, "prometheus.yml", f"DNS name {name} is not a compose service")
    for sub, port in SUBGRAPHS.items():
        p.check(f"{sub}:{port}" in static_targets or (sub, port) in dns_names, "prometheus.yml",
                f"does not scrape {sub}:{port}")
    for target in static_targets:
        host = target.split(":")[0]
        p.check(host in services or host == "localhost", "prometheus.yml", f"target {target} is not a compose service")

    # HAProxy balances over the gateway replicas, health-checked on /ready.
    haproxy = (root / "haproxy.cfg").read_text(encoding="utf-8")
    p.check(re.search(rf"^\s*server-template\s+\S+\s+\S+\s+gateway:{GATEWAY_PORT}\b", haproxy, re.M) is not None,
            "haproxy.cfg", "must balance over gateway:4000 (server-template)")
    p.check("uri /ready" in haproxy, "haproxy.cfg", "gateway health check must use /ready")
    lb_ports = [str(x) for x in services.get("lb", {}).get("ports", [])]
    bind = re.search(r"^frontend graphql\s*\n\s*bind :(\d+)", haproxy, re.M)
    p.check(bind is not None and any(x.endswith(f":{bind.group(1)}") for x in lb_ports),
            "haproxy.cfg", "the graphql frontend port must be the one compose publishes")

    # Redis takes its password from the mounted secret file.
    redis_conf = (root / "redis.conf").read_text(encoding="utf-8")
    include = re.search(r"^include /run/secrets/(\S+)", redis_conf, re.M)
    p.check(include is not None and include.group(1) in services["redis"].get("secrets", []),
            "redis.conf", "must include its requirepass from a secret mounted in the redis service")
    p.check("maxmemory-policy noeviction" in redis_conf, "redis.conf", "streams must never be evicted (noeviction)")

    # OTel collector pipelines reference defined components; exporters target compose services.
    otel = load_yaml(root / "otel-collector.yaml")
    for pipe_name, pipe in otel["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for comp in pipe.get(kind, []):
                p.check(comp in otel.get(kind, {}), "otel-collector.yaml", f"pipeline {pipe_name} uses undefined {kind[:-1]} {comp}")
    for name, exporter in otel.get("exporters", {}).items():
        host = str(exporter.get("endpoint", "")).split(":")[0]
        p.check(host in services, "otel-collector.yaml", f"exporter {name} targets unknown host {host!r}")

    # Grafana: provisioned datasource uid and dashboard path match; queries use known metrics.
    datasources = load_yaml(root / "grafana/provisioning/datasources/datasources.yaml")["datasources"]
    uids = {d["uid"] for d in datasources}
    providers = load_yaml(root / "grafana/provisioning/dashboards/dashboards.yaml")["providers"]
    mounts = [m for m in services["grafana"]["volumes"] if m.startswith("./grafana/dashboards:")]
    p.check(any(m.split(":")[1] == prov["options"]["path"] for m in mounts for prov in providers),
            "grafana", "dashboard provider path must be where compose mounts grafana/dashboards")
    for dash_path in sorted((root / "grafana/dashboards").glob("*.json")):
        where = f"grafana/dashboards/{dash_path.name}"
        dash = json.loads(dash_path.read_text(encoding="utf-8"))
        p.check(bool(dash.get("uid")), where, "needs a stable uid")
        for panel in dash.get("panels", []):
            p.check(panel.get("datasource", {}).get("uid") in uids, where, f"panel {panel.get('title')!r} uses an unprovisioned datasource")
            p.check(bool(panel.get("targets")), where, f"panel {panel.get('title')!r} has no query")
            for target in panel.get("targets", []):
                for ident in PROMQL_IDENT.findall(target["expr"]):
                    if ident in PROMQL_KEYWORDS or not ident.startswith(("gateway_", "up")):
                        continue
                    p.check(ident in GATEWAY_METRICS, where, f"panel {panel.get('title')!r} queries unknown metric {ident}")


def check_build_context(p: Problems, root: Path) -> None:
    """`.dockerignore` keeps secrets and build output out, and keeps what the image copies in."""
    ignore_path = root.parent / ".dockerignore"
    if not ignore_path.is_file():
        p.add(".dockerignore", "missing")
        return
    patterns = {line.strip().rstrip("/") for line in ignore_path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")}
    for needed in (".git", "target", "**/node_modules"):
        p.check(needed in patterns, ".dockerignore", f"must exclude {needed}")
    p.check("docker" in patterns or "docker/secrets" in patterns, ".dockerignore", "must exclude docker/secrets")
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY\s+(?!--from)(\S+)\s", dockerfile, re.M):
        top = source.rstrip("/").split("/")[0]
        if top != ".":
            p.check(top not in patterns, ".dockerignore", f"excludes {top}, which the Dockerfile copies")


def check_k8s(p: Problems, path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    where = path.name
    by_kind: dict[str, list[dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    configmaps = by_kind.get("ConfigMap", [])
    config = {k: v for cm in configmaps for k, v in cm.get("data", {}).items()}

    p.check(not by_kind.get("Secret"), where, "must not carry Secret objects (values are created out of band)")
    p.check(bool(by_kind.get("Job")) and any(
        c.get("args") == ["migrate"] for j in by_kind["Job"] for c in j["spec"]["template"]["spec"]["containers"]),
        where, "needs the `platform migrate` Job")
    p.check(config.get("PLATFORM_ENV") == "production", where, "ConfigMap must set PLATFORM_ENV=production")
    jwks = config.get(JWKS_PROVIDER_KEY, "")
    p.check(url_host_port(jwks) == ("identity", SUBGRAPHS["identity"]), where,
            f"ConfigMap {JWKS_PROVIDER_KEY} must be identity's JWKS (identity:{SUBGRAPHS['identity']}), got {jwks!r}")
    check_secret_env(p, f"{where} ConfigMap", config)

    expected = {"gateway": GATEWAY_PORT, **SUBGRAPHS}
    for name, port in expected.items():
        at = f"{where} Deployment/{name}"
        dep = deployments.get(name)
        if dep is None:
            p.add(where, f"no Deployment {name}")
            continue
        pod = dep["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
        p.check(env.get("PLATFORM__TELEMETRY__SERVICE_NAME") == name, at, "PLATFORM__TELEMETRY__SERVICE_NAME must name the service")
        listen_key = "PLATFORM__GATEWAY__LISTEN" if name == "gateway" else f"PLATFORM__SUBGRAPHS__{name.upper()}__LISTEN"
        p.check(env.get(listen_key, "").endswith(f":{port}"), at, f"{listen_key} must end in :{port}")
        p.check([cp["containerPort"] for cp in container["ports"]] == [port], at, f"container port must be {port}")
        p.check(container.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/health", at, "liveness probe must be /health")
        p.check(container.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/ready", at, "readiness probe must be /ready")
        psc = pod.get("securityContext", {})
        p.check(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", at,
                "pod must run as non-root with seccomp RuntimeDefault")
        secret_items = {i["path"] for v in pod.get("volumes", []) if "secret" in v for i in v["secret"].get("items", [])}
        for box in pod.get("initContainers", []) + pod["containers"]:
            box_at = f"{at} container {box['name']}"
            sc = box.get("securityContext", {})
            p.check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
                    and sc.get("capabilities", {}).get("drop") == ["ALL"], box_at,
                    "container must be read-only, without privilege escalation, all capabilities dropped")
            box_env = {e["name"]: e.get("value", "") for e in box.get("env", [])}
            check_secret_env(p, box_at, box_env)
            mounts = {m["name"]: m["mountPath"] for m in box.get("volumeMounts", [])}
            for key, value in box_env.items():
                if key.endswith("_FILE"):
                    base = mounts.get("secrets", "")
                    p.check(bool(base) and value.startswith(base + "/") and value[len(base) + 1:] in secret_items, box_at,
                            f"{key} points at {value}, which the secret volume does not provide")
        svc = services.get(name)
        p.check(svc is not None and svc["spec"]["ports"][0]["port"] == port, at, f"needs Service {name} on port {port}")
        if name != "gateway":
            url = config.get(f"PLATFORM__GATEWAY__SUBGRAPHS__{name.upper()}__URL", "")
            p.check(url_host_port(url) == (name, port), where, f"gateway URL for {name} must be {name}:{port}, got {url!r}")

    p.check("replicas" not in deployments.get("gateway", {}).get("spec", {"replicas": 0}), where,
            "gateway replicas belong to the HPA; the Deployment must not set them")
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    p.check(any(h["spec"]["scaleTargetRef"]["name"] == "gateway" for h in hpas), where, "needs an HPA for the gateway")
    for hpa in hpas:
        p.check(hpa["spec"]["scaleTargetRef"]["name"] in deployments, where, f"HPA {hpa['metadata']['name']} targets a missing Deployment")
    pdbs = by_kind.get("PodDisruptionBudget", [])
    p.check(any(b["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name") == "gateway" for b in pdbs), where, "needs a PDB for the gateway")
    for pdb in pdbs:
        p.check(pdb["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name") in deployments, where,
                f"PDB {pdb['metadata']['name']} selects no Deployment")

    policies = by_kind.get("NetworkPolicy", [])
    p.check(any(n["spec"]["podSelector"] == {} and set(n["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not n["spec"].get("ingress") and not n["spec"].get("egress")
                for n in policies), where, "needs a default-deny NetworkPolicy for ingress and egress")
    p.check(any(n["spec"]["podSelector"] == {} and any(port.get("port") == 53 for rule in n["spec"].get("egress", []) for port in rule.get("ports", []))
                for n in policies), where, "needs a DNS egress NetworkPolicy")
    # Who may reach each subgraph's GraphQL port: the gateway (plus Prometheus from its
    # namespace, and identity's JWKS from other subgraphs).
    for policy in policies:
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        targets_subgraphs = selector.get("app.kubernetes.io/component") == "subgraph" or selector.get("app.kubernetes.io/name") in SUBGRAPHS
        for rule in policy["spec"].get("ingress", []) if targets_subgraphs else []:
            for peer in rule.get("from", []):
                pod_sel = peer.get("podSelector", {}).get("matchLabels", {})
                ns_sel = peer.get("namespaceSelector", {}).get("matchLabels", {})
                allowed = (
                    (pod_sel.get("app.kubernetes.io/name") == "gateway" and not ns_sel)
                    or (ns_sel == {"kubernetes.io/metadata.name": "monitoring"} and not pod_sel)
                    or (selector.get("app.kubernetes.io/name") == "identity"
                        and pod_sel == {"app.kubernetes.io/component": "subgraph"} and not ns_sel)
                )
                p.check(allowed, where, f"NetworkPolicy {policy['metadata']['name']} lets {peer} reach subgraphs")
                p.check("ipBlock" not in peer, where, f"NetworkPolicy {policy['metadata']['name']} opens subgraphs to an IP range")


def dashboard_rules(out: Path, dashboards: list[Path]) -> None:
    """Writes every panel query as a recording rule, so `promtool check rules` parses it with
    the real PromQL parser. Grafana's variables become plain values first."""
    rules = []
    for dash_path in dashboards:
        dash = json.loads(dash_path.read_text(encoding="utf-8"))
        for panel in dash.get("panels", []):
            for target in panel.get("targets", []):
                expr = target["expr"].replace("$__rate_interval", "5m").replace("$instance", ".*")
                rules.append({"record": f"dashboard:panel{panel['id']}:{target['refId'].lower()}", "expr": expr})
    out.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, sort_keys=False), encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[1] == "--dashboard-rules":
        dashboard_rules(Path(argv[2]), [Path(a) for a in argv[3:]])
        return 0
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1])
    problems = Problems()
    compose = check_compose(problems, root)
    check_side_configs(problems, root, compose)
    check_build_context(problems, root)
    for rendered in argv[2:]:
        check_k8s(problems, Path(rendered))
    for item in problems.items:
        print(f"  {item}")
    return 1 if problems.items else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
