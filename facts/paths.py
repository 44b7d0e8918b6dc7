"""Where each image reads its config and keeps its data, per FATE version: the one place for paths.

Files go where the images already look, so no start-up script copies or `sed`s them. Each file says
whether its directory holds only that file (`own_directory`: mount the ConfigMap/Secret as the whole
directory, and kubelet updates the file in running pods) or also holds the image's own files
(mount the file alone with subPath, which kubelet never updates: a change needs a pod restart), and
when the program reads it (`read`), which decides whether an in-place update is ever seen.
The facts behind each path are in docs/fate-config.md.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from facts.versions import is_fate_2

ReadWhen = Literal["start", "per job", "every 5 s"]

FATE_PROJECT_BASE = "/data/projects/fate"
"""The images' FATE_PROJECT_BASE; FATE 1.x resolves relative conf paths against it."""
PULSAR_CERT_DIR = "/opt/pulsar/certs"
"""The broker's TLS files (the `pulsar-cert` Secret), a directory of their own."""

# --- where the images keep their data (the volumes mount here) ---
MYSQL_DATA_DIR = "/var/lib/mysql"
"""MySQL's and MariaDB's data directory (both official images)."""
MYSQL_SECRETS_DIR = "/run/secrets/mysql"
"""Our directory for the MySQL passwords; the image reads them through MYSQL_*_FILE."""
PULSAR_DATA_DIR = "/pulsar/data"
"""`bin/pulsar standalone` keeps its bookie ledgers and metadata here (the image's working dir is /pulsar)."""
HDFS_NAME_DIR = "/hadoop/dfs/name"
HDFS_DATA_DIR = "/hadoop/dfs/data"
CLIENT_PERSISTENCE_DIR = f"{FATE_PROJECT_BASE}/persistence"
"""The notebook client's saved notebooks."""
MARIADB_INIT_DIR = "/etc/mariadb-init"
"""Our directory for the KubeFATE MariaDB's init SQL and root password file."""
KUBEFATE_CONFIG_DIR = "/"
"""The kubefate image reads /config.yaml (its working directory is /)."""


@dataclass(frozen=True)
class ConfigFile:
    """One config file an image reads."""

    directory: str
    name: str
    own_directory: bool
    read: ReadWhen

    @property
    def path(self) -> str:
        return posixpath.join(self.directory, self.name)

    @property
    def updates_in_place(self) -> bool:
        """True when a changed ConfigMap reaches the running program without a restart."""
        return self.own_directory and self.read != "start"


@dataclass(frozen=True)
class ConfigPaths:
    fateflow_home: str
    service_conf_dir: str
    pulsar_route_table_dir: str
    fateflow_data_dir: str
    pulsar_route_table_relative: str
    """service_conf.yaml's `route_table`: the route table relative to where this version resolves it."""
    service_conf: ConfigFile
    pulsar_route_table: ConfigFile
    fateflow_data_sub_paths: Mapping[str, str] = field(default_factory=dict)
    """Volume sub-directory -> mount path for FATE Flow's logs, jobs and models."""
    spark_conf_dir: str = "/data/projects/fate/spark-conf"
    """Our own directory for spark-defaults.conf; FATE Flow's container points SPARK_CONF_DIR at it."""
    nginx_conf_dir: str = "/data/projects/fate/proxy/nginx/conf"
    pulsar_conf_dir: str = "/pulsar/conf"
    fateboard_conf_dir: str = "/data/projects/fate/fateboard/conf"
    spark_worker_service_conf: ConfigFile = ConfigFile(f"{FATE_PROJECT_BASE}/conf", "service_conf.yaml", True, "start")
    pulsar_cert_dir: str = PULSAR_CERT_DIR

    @property
    def spark_defaults(self) -> ConfigFile:
        """Read by every spark-submit, i.e. per job; our own directory, so updates land in place."""
        return ConfigFile(self.spark_conf_dir, "spark-defaults.conf", True, "per job")

    @property
    def nginx_route_table(self) -> ConfigFile:
        """FATE's proxy lua reads `<nginx prefix>conf/route_table.yaml` every 5 s; conf/ also holds
        nginx.conf, mime.types and vhost/ from the image."""
        return ConfigFile(self.nginx_conf_dir, "route_table.yaml", False, "every 5 s")

    @property
    def nginx_conf(self) -> ConfigFile:
        """nginx.conf, read at start, beside the image's mime.types and vhost/ (so mounted alone)."""
        return ConfigFile(self.nginx_conf_dir, "nginx.conf", False, "start")

    @property
    def pulsar_standalone_conf(self) -> ConfigFile:
        return ConfigFile(self.pulsar_conf_dir, "standalone.conf", False, "start")

    @property
    def fateboard_properties(self) -> ConfigFile:
        return ConfigFile(self.fateboard_conf_dir, "application.properties", False, "start")

    @property
    def env(self) -> Mapping[str, str]:
        """Environment FATE Flow needs so that the paths above are the ones it resolves."""
        return {"FATE_PROJECT_BASE": FATE_PROJECT_BASE, "SPARK_CONF_DIR": self.spark_conf_dir}


def config_paths(fate_version: str) -> ConfigPaths:
    """The in-container paths for `fate_version` (UnknownFateVersion for others)."""
    if is_fate_2(fate_version):
        # FATE Flow 2.x: its home is <base>/fate_flow; it loads <home>/conf/service_conf.yaml at start and
        # <home>/conf/pulsar_route_table.yaml for every job (the `route_table` key is not read).
        home = f"{FATE_PROJECT_BASE}/fate_flow"
        conf = f"{home}/conf"
        return ConfigPaths(
            fateflow_home=home,
            service_conf_dir=conf,
            pulsar_route_table_dir=conf,
            fateflow_data_dir=home,
            fateflow_data_sub_paths={"logs": f"{home}/logs", "jobs": f"{home}/jobs",
                                     "model-local-cache": f"{home}/model_local_cache", "model": f"{home}/model"},
            pulsar_route_table_relative="conf/pulsar_route_table.yaml",
            service_conf=ConfigFile(conf, "service_conf.yaml", False, "start"),
            pulsar_route_table=ConfigFile(conf, "pulsar_route_table.yaml", False, "per job"),
        )
    # FATE 1.x: service_conf.yaml in <base>/conf (beside the image's defaults); FATE's Pulsar federation
    # opens the service_conf `route_table` path relative to <base> for every job.
    home = f"{FATE_PROJECT_BASE}/fateflow"
    route_dir = f"{FATE_PROJECT_BASE}/conf/pulsar_route_table"
    return ConfigPaths(
        fateflow_home=home,
        service_conf_dir=f"{FATE_PROJECT_BASE}/conf",
        pulsar_route_table_dir=route_dir,
        fateflow_data_dir=home,
        fateflow_data_sub_paths={"logs": f"{home}/logs", "jobs": f"{home}/jobs",
                                 "model-local-cache": f"{home}/model_local_cache"},
        pulsar_route_table_relative="conf/pulsar_route_table/pulsar_route_table.yaml",
        service_conf=ConfigFile(f"{FATE_PROJECT_BASE}/conf", "service_conf.yaml", False, "start"),
        pulsar_route_table=ConfigFile(route_dir, "pulsar_route_table.yaml", True, "per job"),
    )
