"""A volume size change checked against the claims the cluster already holds, before any resource registers.

Kubernetes grows a claim in place only (a StatefulSet's volumeClaimTemplates are immutable, so
components.kube.Module patches each replica's claim) and never shrinks one; it grows one only when the
claim's StorageClass has allowVolumeExpansion. Left to the API server, a shrink or a refused growth
would fail `pulumi up` in the middle, after other objects changed, with a message naming neither the
config key nor the fix. The stack reads the claims it would resize first, with the cluster settings its
provider uses (stacks.provider), and stops with a config error before registering anything.

The read needs only GET on the claims and on their StorageClass. It is skipped, with a warning, when
there is no cluster (render mode), when the kubeconfig uses an authentication this reader does not
speak (legacy auth providers, basic auth) or when the cluster cannot be read; the API server then still
refuses a shrink or a growth the class does not allow, only later and in its own words.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pulumi
import yaml

from components.kube import ModuleSpec, claim_names
from specs.common import KubernetesConfig
from specs.errors import config_error
from specs.sizing import claim_size_problem

READ_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class PlannedClaim:
    """A claim the stack's StatefulSets use (components.kube.claim_names), and the size the config asks."""

    namespace: str
    name: str
    size: str
    size_key: str
    """The full config key of the size, named in the error."""


def planned_claims(namespace: str, specs: Sequence[ModuleSpec]) -> list[PlannedClaim]:
    """The claims these modules' StatefulSets own in `namespace`, with their configured size."""
    return [PlannedClaim(namespace, claim, spec.data.size, spec.data.size_key)
            for spec in specs
            if spec.stateful and spec.data is not None and spec.data.persistent and not spec.data.existing_claim
            for claim in claim_names(spec.data.name, spec.name, spec.replicas)]


class CannotRead(Exception):
    """The cluster's claims cannot be read from here; the check is skipped with this reason."""


def _merged_kubeconfig(text: str | None, path: str | None) -> tuple[dict[str, Any], Path]:
    """The kubeconfig the provider would use: the secret's text, a path, or $KUBECONFIG / ~/.kube/config
    (several files merged as kubectl does: the first definition of a name wins); and the directory that
    relative file names in it are relative to."""
    if text is not None:
        return yaml.safe_load(text) or {}, Path.cwd()
    files = ([Path(path).expanduser()] if path else
             [Path(p).expanduser() for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
             or [Path.home() / ".kube" / "config"])
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
    for file in files:
        if not file.is_file():
            continue
        loaded = yaml.safe_load(file.read_text()) or {}
        merged["current-context"] = merged.get("current-context") or loaded.get("current-context")
        for section in ("clusters", "users", "contexts"):
            known = {entry.get("name") for entry in merged[section]}
            merged[section] += [entry for entry in loaded.get(section) or [] if entry.get("name") not in known]
    if not merged["clusters"]:
        raise CannotRead("no kubeconfig found")
    return merged, files[0].parent


def _named(kubeconfig: Mapping[str, Any], section: str, name: str | None) -> dict[str, Any]:
    for entry in kubeconfig.get(section) or []:
        if entry.get("name") == name:
            return entry.get(section[:-1]) or {}
    raise CannotRead(f"the kubeconfig has no {section[:-1]} {name!r}")


def _pem(entry: Mapping[str, Any], key: str, base: Path) -> bytes | None:
    """`<key>-data` (base64) or the file `<key>` of a kubeconfig entry."""
    if entry.get(f"{key}-data"):
        return base64.b64decode(entry[f"{key}-data"])
    if entry.get(key):
        return (base / Path(entry[key]).expanduser()).read_bytes()
    return None


def _exec_credential(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run a kubeconfig's exec plugin (client.authentication.k8s.io) non-interactively: its status."""
    info = {"apiVersion": spec.get("apiVersion", "client.authentication.k8s.io/v1"), "kind": "ExecCredential",
            "spec": {"interactive": False}}
    env = {**os.environ, **{e["name"]: e["value"] for e in spec.get("env") or []},
           "KUBERNETES_EXEC_INFO": json.dumps(info)}
    try:
        done = subprocess.run([spec["command"], *(spec.get("args") or [])], env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL, check=True)
        return json.loads(done.stdout).get("status") or {}
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        raise CannotRead(f"the kubeconfig's exec plugin {spec.get('command')!r} failed ({type(error).__name__})")


@contextmanager
def cluster_client(config: KubernetesConfig, kubeconfig_text: str | None) -> Iterator[httpx.Client]:
    """An HTTP client for the API server the stack's provider talks to (same kubeconfig and context)."""
    kubeconfig, base = _merged_kubeconfig(kubeconfig_text, config.kubeconfig_path)
    context = _named(kubeconfig, "contexts", config.context or kubeconfig.get("current-context"))
    cluster = _named(kubeconfig, "clusters", context.get("cluster"))
    user = _named(kubeconfig, "users", context.get("user")) if context.get("user") else {}
    if user.get("auth-provider") or user.get("username"):
        raise CannotRead("the kubeconfig's user authenticates in a way this check does not read")
    tls = ssl.create_default_context()
    ca = _pem(cluster, "certificate-authority", base)
    if cluster.get("insecure-skip-tls-verify"):
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    elif ca is not None:
        tls.load_verify_locations(cadata=ca.decode())
    headers: dict[str, str] = {}
    credential = _exec_credential(user["exec"]) if user.get("exec") else {}
    token = credential.get("token") or user.get("token") or (
        (base / user["tokenFile"]).read_text().strip() if user.get("tokenFile") else None)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    cert = (credential.get("clientCertificateData", "").encode() or _pem(user, "client-certificate", base))
    key = (credential.get("clientKeyData", "").encode() or _pem(user, "client-key", base))
    if cert and key:
        # ssl loads a client key only from a file: a private directory, gone once loaded.
        with tempfile.TemporaryDirectory() as private:
            (Path(private) / "cert.pem").write_bytes(cert)
            key_file = Path(private) / "key.pem"
            key_file.touch(mode=0o600)
            key_file.write_bytes(key)
            tls.load_cert_chain(Path(private) / "cert.pem", key_file)
    with httpx.Client(base_url=cluster["server"], verify=tls, headers=headers, timeout=READ_TIMEOUT_S) as client:
        yield client


def _get(client: httpx.Client, path: str) -> dict[str, Any] | None:
    """The object at `path`, or None when the API server has none."""
    response = client.get(path)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise CannotRead(f"GET {path}: HTTP {response.status_code}")
    return response.json()


def claim_problems(client: httpx.Client, claims: Sequence[PlannedClaim]) -> list[str]:
    """What the cluster's existing claims refuse of the planned sizes (claims not there yet: nothing)."""
    problems: list[str] = []
    expandable: dict[str, bool] = {}
    for claim in claims:
        live = _get(client, f"/api/v1/namespaces/{claim.namespace}/persistentvolumeclaims/{claim.name}")
        if live is None:
            continue
        request = live["spec"]["resources"]["requests"]["storage"]
        storage_class = live["spec"].get("storageClassName") or None
        if storage_class is not None and storage_class not in expandable:
            found = _get(client, f"/apis/storage.k8s.io/v1/storageclasses/{storage_class}") or {}
            expandable[storage_class] = bool(found.get("allowVolumeExpansion"))
        problem = claim_size_problem(claim.size_key, claim.size, f"{claim.namespace}/{claim.name}", request,
                                     storage_class, expandable.get(storage_class or "", False))
        if problem:
            problems.append(problem)
    return problems


def check_claim_sizes(claims: Sequence[PlannedClaim], config: KubernetesConfig,
                      kubeconfig_text: str | None = None) -> None:
    """Raise a config error naming each size key the cluster's existing claims cannot take; call it before
    registering any resource. No cluster (render mode), nothing to check."""
    if config.render_yaml_to_directory or not claims:
        return
    try:
        with cluster_client(config, kubeconfig_text) as client:
            problems = claim_problems(client, claims)
    except (CannotRead, httpx.HTTPError, ssl.SSLError, OSError, KeyError, yaml.YAMLError) as error:
        reason = str(error) if isinstance(error, CannotRead) else type(error).__name__
        pulumi.log.warn(f"volume sizes not checked against the cluster's claims ({reason}): a shrink or a growth "
                        "the StorageClass does not allow fails when the claim is patched")
        return
    if problems:
        raise config_error(*problems)
