#!/usr/bin/env python3
"""Tests of check_stack.py: the committed files pass, and each kind of drift is caught.

Each test copies docker/ (and the rendered production overlay) into a temporary directory,
breaks one thing the way a careless edit would, and expects the matching problem line.
Run: python docker/check_stack_test.py   (needs PyYAML and kubectl on PATH)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))

import check_stack  # noqa: E402


def run_checks(root: Path, rendered: list[Path]) -> list[str]:
    problems = check_stack.Problems()
    compose = check_stack.check_compose(problems, root)
    check_stack.check_side_configs(problems, root, compose)
    check_stack.check_build_context(problems, root)
    for path in rendered:
        check_stack.check_k8s(problems, path)
    return problems.items


class StackChecks(unittest.TestCase):
    rendered_text: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.rendered_text = subprocess.run(
            ["kubectl", "kustomize", str(HERE / "k8s/overlays/production")],
            check=True, capture_output=True, text=True,
        ).stdout

    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="check-stack-"))
        self.root = self.tmp / "docker"
        shutil.copytree(HERE, self.root, ignore=shutil.ignore_patterns("secrets", "__pycache__"))
        shutil.copy(HERE.parent / ".dockerignore", self.tmp / ".dockerignore")
        self.rendered = self.tmp / "production.yaml"
        self.rendered.write_text(self.rendered_text, encoding="utf-8")

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp)

    def edit(self, relative: str, old: str, new: str, count: int = 1) -> None:
        path = self.tmp / relative
        text = path.read_text(encoding="utf-8")
        self.assertIn(old, text, f"test setup: {old!r} not in {relative}")
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    def assert_problem(self, fragment: str) -> None:
        problems = run_checks(self.root, [self.rendered])
        self.assertTrue(any(fragment in p for p in problems),
                        f"expected a problem containing {fragment!r}, got {problems}")

    def test_committed_files_pass(self) -> None:
        self.assertEqual(run_checks(self.root, [self.rendered]), [])

    def test_gateway_pointing_at_wrong_subgraph_port(self) -> None:
        self.edit("docker/compose.yaml", "http://blog:4004/graphql", "http://blog:4005/graphql")
        self.assert_problem("subgraph URL for blog must be blog:4004")

    def test_gateway_verifying_tokens_against_loopback(self) -> None:
        self.edit("docker/compose.yaml", "PROVIDERS__0__JWKS_URL: http://identity:4001/",
                  "PROVIDERS__0__JWKS_URL: http://127.0.0.1:4001/")
        self.assert_problem("must be identity's JWKS")

    def test_subgraph_not_scraped(self) -> None:
        self.edit("docker/prometheus.yml", "names: [audit]\n        type: A\n        port: 4003",
                  "names: [audit]\n        type: A\n        port: 4009")
        self.assert_problem("does not scrape audit:4003")

    def test_secret_inline_in_environment(self) -> None:
        self.edit("docker/compose.yaml",
                  "PLATFORM__SUBGRAPHS__BLOG__DATABASE_URL_FILE: /run/secrets/database_url",
                  "PLATFORM__SUBGRAPHS__BLOG__DATABASE_URL: postgres://platform:hunter2@postgres/platform")
        self.assert_problem("DATABASE_URL embeds credentials in a URL")
        self.assert_problem("pass it as PLATFORM__SUBGRAPHS__BLOG__DATABASE_URL_FILE")

    def test_secret_file_not_mounted(self) -> None:
        self.edit("docker/compose.yaml", "secrets: [database_url, redis_url, smtp_password]",
                  "secrets: [database_url, redis_url]")
        self.assert_problem("reads /run/secrets/smtp_password but that secret is not mounted")

    def test_ops_port_published_publicly(self) -> None:
        self.edit("docker/compose.yaml", '"127.0.0.1:9090:9090"', '"9090:9090"')
        self.assert_problem("ops port 9090:9090 must bind to 127.0.0.1")

    def test_subgraph_not_waiting_for_migrations(self) -> None:
        self.edit("docker/compose.yaml", "condition: service_completed_successfully",
                  "condition: service_started")
        self.assert_problem("must wait for migrate with service_completed_successfully")

    def test_missing_bind_mount_source(self) -> None:
        (self.root / "redis.conf").unlink()
        self.assert_problem("bind-mount source ./redis.conf does not exist")

    def test_dashboard_queries_unknown_metric(self) -> None:
        self.edit("docker/grafana/dashboards/gateway.json", "gateway_rate_limited_total",
                  "gateway_ratelimited_total")
        self.assert_problem("queries unknown metric gateway_ratelimited_total")

    def test_haproxy_health_check_on_liveness(self) -> None:
        self.edit("docker/haproxy.cfg", "uri /ready", "uri /health")
        self.assert_problem("gateway health check must use /ready")

    def test_readiness_probe_on_health(self) -> None:
        self.edit("production.yaml", "path: /ready", "path: /health")
        self.assert_problem("readiness probe must be /ready")

    def test_network_policy_opened_to_other_namespace(self) -> None:
        self.edit("production.yaml", "kubernetes.io/metadata.name: monitoring",
                  "kubernetes.io/metadata.name: anything", count=2)
        self.assert_problem("NetworkPolicy subgraphs-ingress-from-gateway lets")

    def test_default_deny_removed(self) -> None:
        self.edit("production.yaml", "name: default-deny-all\n", "name: default-deny-all\n  namespace: x\n")
        self.edit("production.yaml", "  podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\n",
                  "  podSelector: {}\n  policyTypes:\n  - Ingress\n")
        self.assert_problem("needs a default-deny NetworkPolicy")

    def test_container_may_escalate(self) -> None:
        self.edit("production.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")
        self.assert_problem("without privilege escalation")

    def test_init_container_reads_unmounted_secret(self) -> None:
        self.edit("production.yaml", "value: /run/secrets/platform/database-url",
                  "value: /run/secrets/platform/db-url")
        self.assert_problem("points at /run/secrets/platform/db-url, which the secret volume does not provide")

    def test_build_context_excludes_copied_config(self) -> None:
        with (self.tmp / ".dockerignore").open("a", encoding="utf-8") as handle:
            handle.write("config\n")
        self.assert_problem("excludes config, which the Dockerfile copies")

    def test_build_context_ships_git(self) -> None:
        self.edit(".dockerignore", "\n.git\n", "\n")
        self.assert_problem("must exclude .git")

    def test_secret_object_in_manifests(self) -> None:
        with self.rendered.open("a", encoding="utf-8") as handle:
            handle.write("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\n"
                         "stringData:\n  database-url: postgres://u:p@db/x\n")
        self.assert_problem("must not carry Secret objects")


if __name__ == "__main__":
    unittest.main(verbosity=1)
