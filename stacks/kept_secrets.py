"""The MySQL passwords a party's kept data directory knows, read back from the cluster before any resource registers.

The party's passwords are generated (pulumi_random) and live in the stack's state, which `pulumi destroy`
deletes; with `party.persistence.retainOnDestroy` the namespace and the volume claims stay, and so does the
`mysql-credentials` Secret (components.fate_cluster keeps it with them). A stack that comes back to them
would otherwise generate passwords the kept MySQL data directory does not know, and FATE Flow would be
refused. So the stack reads that Secret with the cluster settings its provider uses (stacks.cluster_api),
in `preview` as in `up`, and when it is this party's, FateCluster uses its values (secret) and adopts it.

Only MySQL's credentials: they are the only generated secret a volume depends on. The FATE Board and
notebook passwords live in no volume (a restored party gets new ones, in its outputs); KubeFATE's MariaDB
re-aligns its passwords at every start (components.fateconf.kubefate); the checksum key only keys digests.

Why an import, not a create: the kubernetes provider built here (4.25.0) creates with server-side apply,
which would upsert the kept Secret; from 4.29.0 on, a create over an existing object fails (AlreadyExists)
unless the provider's `upsertExistingObjects` is set. Adopted with `import_` (`<namespace>/<name>`), the
Secret is read, not created, on every version; the engine then compares the program's inputs with the live
object's and may update it in place but never replace it, so the Secret is written as `data` (base64, the
form the API server returns: a `stringData` against a live `data` would be a replacement). On later runs the
stack holds the Secret under that id already, and the same `import_` changes nothing.

This party's is what the program itself labels: `app.kubernetes.io/part-of: fate-federation` and the
party's `app.kubernetes.io/instance` (facts.labels), as for namespaces (stacks.namespaces). Another Secret
of that name is refused, with the fix, before anything is created. No cluster (render mode, the SDK's
mocks): nothing to read. A cluster that cannot be read from here is warned about and the stack goes on
with generated passwords, as a new stack would.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from facts.labels import INSTANCE_LABEL, PART_OF, PART_OF_LABEL, party_instance
from facts.names import MYSQL_CREDENTIAL_KEYS, MYSQL_CREDENTIALS_SECRET
from specs.common import KubernetesConfig
from specs.errors import config_error, config_key
from specs.party import PartyConfig
from stacks.cluster_api import ClusterUnreadable, core_api, engine_is_mocked, read, where


@dataclass(frozen=True)
class KeptSecret:
    """A Secret whose values the stack takes from the cluster when it is there."""

    namespace: str
    name: str
    instance: str
    keys: tuple[str, ...]
    key: str
    """The config key naming the namespace (`fate-federation:party.namespace`), named in errors."""


def party_kept_secret(party: PartyConfig, path: str = "party") -> KeptSecret | None:
    """The party's MySQL credentials; None with an external MySQL (its password is the stack's config)."""
    if party.mysql.external is not None:
        return None
    return KeptSecret(party.resolved_namespace, MYSQL_CREDENTIALS_SECRET, party_instance(party.party_id),
                      MYSQL_CREDENTIAL_KEYS, config_key(f"{path}.namespace"))


def _decode(value: Any) -> str | None:
    try:
        return base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def kept_values(wanted: KeptSecret, live: Mapping[str, Any] | None, cluster: str) -> dict[str, str] | None:
    """The Secret's values (None when it does not exist); raises a config error, with the fix, when the live
    Secret is not this party's or lacks a value. Never puts a value in a message."""
    if live is None:
        return None
    labels = (live.get("metadata") or {}).get("labels") or {}
    where_ = f"the Secret {wanted.namespace}/{wanted.name} in {cluster}"
    if labels.get(PART_OF_LABEL) != PART_OF or labels.get(INSTANCE_LABEL) != wanted.instance:
        raise config_error(
            f"{wanted.key}: {where_} was not made by this program for {wanted.instance} "
            f"({PART_OF_LABEL}={labels.get(PART_OF_LABEL, '<none>')}, "
            f"{INSTANCE_LABEL}={labels.get(INSTANCE_LABEL, '<none>')}); nothing was changed. If it holds this "
            f"party's MySQL passwords (the ones its kept data directory knows), mark it: `kubectl label secret "
            f"{wanted.name} -n {wanted.namespace} {PART_OF_LABEL}={PART_OF} {INSTANCE_LABEL}={wanted.instance}`; "
            f"else delete it (`kubectl delete secret {wanted.name} -n {wanted.namespace}`) and the stack makes "
            "new passwords, which a kept MySQL data directory does not know (docs/operations.md, restore)")
    data = live.get("data") or {}
    values = {key: _decode(data[key]) if key in data else None for key in wanted.keys}
    missing = [key for key, value in values.items() if not value]
    if missing:
        raise config_error(
            f"{wanted.key}: {where_} has no usable {', '.join(missing)} (absent, empty or not base64 text); "
            "nothing was changed. Put back the password the kept MySQL data directory knows under that key "
            f"(`kubectl edit secret {wanted.name} -n {wanted.namespace}`), or delete the Secret to have new "
            "passwords made (docs/operations.md, restore)")
    return values  # type: ignore[return-value]


def read_kept_values(wanted: KeptSecret, config: KubernetesConfig,
                     kubeconfig_text: str | None = None) -> dict[str, str] | None:
    """kept_values of the live Secret; None without a cluster to read (render mode, the SDK's mocks) or when
    it cannot be read from here (warned). Call it before any resource registers."""
    if config.render_yaml_to_directory or engine_is_mocked():
        return None
    cluster = where(config)
    try:
        live = read(core_api(config, kubeconfig_text).read_namespaced_secret, wanted.name, wanted.namespace)
    except ClusterUnreadable as error:
        pulumi.log.warn(f"the Secret {wanted.namespace}/{wanted.name} was not read from {cluster} ({error}): if "
                        "it was kept with the party's volumes, its passwords are replaced by new ones, which the "
                        "kept MySQL data directory does not know")
        return None
    return kept_values(wanted, live, cluster)


async def kept_mysql_credentials(party: PartyConfig, config: KubernetesConfig,
                                 kubeconfig: pulumi.Output[str] | None,
                                 path: str = "party") -> pulumi.Output[dict[str, str]] | None:
    """The party's kept MySQL credentials as a secret Output for FateClusterArgs.kept_mysql_credentials, with
    the stack's secret kubeconfig (stacks.provider's), in an async program."""
    wanted = party_kept_secret(party, path)
    if wanted is None or config.render_yaml_to_directory or engine_is_mocked():
        return None
    text = await kubeconfig.future() if kubeconfig is not None else None
    values = read_kept_values(wanted, config, text)
    return None if values is None else pulumi.Output.secret(values)
