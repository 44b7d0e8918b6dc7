"""How the Traffic Server runs in its pod: image, config objects, mounts and the reload watcher.

The file formats are pure functions in components.fateconf.ats; this module only decides which files
roll the pod (records.config and friends, read at start) and which are reloaded in place (sni.yaml:
routes change while tunnels stay open), so FateExchange stays a wiring of modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components import kube
from components.fateconf import ats


def module_settings(routes: Sequence[ats.SniRoute], cert_secret: str) -> dict[str, Any]:
    """ModuleSpec fields for the Traffic Server: config, routes, certificate and the reload watcher."""
    files = ats.traffic_server_files(routes)
    sni_name = ats.SNI_FILENAME
    static_files = {name: content for name, content in files.items() if name != sni_name}
    return {
        "config": [
            kube.ConfigFiles(name="traffic-server-config", mount_path=ats.STAGED_CONFIG_DIR, files=static_files),
            kube.ConfigFiles(name="traffic-server-sni", mount_path=ats.STAGED_ROUTES_DIR,
                             files={sni_name: files[sni_name]}, rolls_pods=False),
            kube.ConfigFiles(name=cert_secret, mount_path=ats.CERT_DIR, files={}, secret=True, managed=False),
        ],
        "command": ["/bin/sh", "-c", ats.entrypoint_script()],
        "readiness": kube.tcp_probe(ats.TLS_PORT, initial_delay=10),
        "liveness": kube.tcp_probe(ats.TLS_PORT, initial_delay=30),
    }
