"""Reads of the stack's own cluster, outside the kubernetes provider: the same kubeconfig and context.

The provider cannot be asked whether an object exists (a `get` of an absent object fails the update, and
the provider has no read invoke), so checks that must run before any resource registers, and fedctl's
report of a failed `up`, read the API server with the kubernetes Python client, from the settings the
provider is built from (stacks/provider.py): the secret `kubeconfig`, `kubernetes.kubeconfigPath`,
`kubernetes.context`, else the ambient KUBECONFIG / ~/.kube/config and its current context.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from specs.common import KubernetesConfig

REQUEST_TIMEOUT_S = (5, 15)
"""Connect and read timeouts of each request: a check must not hang `pulumi up`."""


class ClusterUnreadable(Exception):
    """The cluster cannot be read from here (no kubeconfig, unknown context, API server unreachable)."""


def engine_is_mocked() -> bool:
    """Under the SDK's mocks (fedctl's offline render, the unit tests) there is no engine and no cluster: a
    program-side read must not reach whatever cluster the ambient kubeconfig names."""
    from pulumi.runtime import mocks, settings

    return isinstance(settings.get_monitor(), mocks.MockMonitor)


def where(config: KubernetesConfig) -> str:
    """The cluster as the user named it, for messages (never the kubeconfig's content)."""
    if config.context:
        return f"context {config.context}"
    if config.kubeconfig_path:
        return f"the kubeconfig {config.kubeconfig_path}"
    return "the current context"


def core_api(config: KubernetesConfig, kubeconfig_text: str | None = None,
             env: Mapping[str, str] | None = None, base_dir: Path | None = None) -> Any:
    """A CoreV1Api on the cluster the stack's provider talks to. `env` gives KUBECONFIG (default: this
    process's); a relative kubeconfigPath is relative to `base_dir` (the project directory, the program's
    working directory). Raises ClusterUnreadable."""
    import yaml
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    try:
        if kubeconfig_text:
            api = kube_config.new_client_from_config_dict(yaml.safe_load(kubeconfig_text), context=config.context)
        else:
            path = config.kubeconfig_path
            if path:
                path = str((base_dir or Path.cwd()) / Path(path).expanduser())
            else:
                path = (os.environ if env is None else env).get("KUBECONFIG") \
                    or str(Path("~/.kube/config").expanduser())
            api = kube_config.new_client_from_config(config_file=path, context=config.context)
    except (ConfigException, OSError, yaml.YAMLError, TypeError) as error:
        raise ClusterUnreadable(f"cannot use the kubeconfig of {where(config)}: {error}") from None
    api.configuration.retries = 1
    return client.CoreV1Api(api)


def read(call: Any, *args: str) -> dict[str, Any] | None:
    """One GET through a CoreV1Api method, as plain JSON (what `kubectl get -o json` shows); None when the
    object does not exist. Raises ClusterUnreadable."""
    from kubernetes.client.exceptions import ApiException

    try:
        response = call(*args, _preload_content=False, _request_timeout=REQUEST_TIMEOUT_S)
    except ApiException as error:
        if error.status == 404:
            return None
        raise ClusterUnreadable(f"HTTP {error.status} {error.reason}") from None
    except Exception as error:  # urllib3's connection, TLS and timeout errors
        raise ClusterUnreadable(str(error) or type(error).__name__) from None
    return json.loads(response.data)
