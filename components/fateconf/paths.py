"""Where each image reads its config and keeps its data, per FATE version: the one place for paths.

Files are mounted where the images already look (FATE Flow's conf dir, Pulsar's conf, nginx's conf),
so no start-up script copies or `sed`s them; Spark is pointed at our spark-defaults.conf with
SPARK_CONF_DIR instead of overwriting the image's conf directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from components.fateconf.versions import check_version

PULSAR_ROUTE_TABLE_RELATIVE = "conf/pulsar_route_table/pulsar_route_table.yaml"
"""service_conf.yaml's `route_table`, relative to FATE Flow's home (the directory holding conf/)."""


@dataclass(frozen=True)
class ConfigPaths:
    fateflow_home: str
    service_conf_dir: str
    pulsar_route_table_dir: str
    fateflow_data_dir: str
    fateflow_data_sub_paths: Mapping[str, str] = field(default_factory=dict)
    spark_conf_dir: str = "/data/projects/fate/spark-conf"
    nginx_conf_dir: str = "/data/projects/fate/proxy/nginx/conf"
    pulsar_conf_dir: str = "/pulsar/conf"
    fateboard_conf_dir: str = "/data/projects/fate/fateboard/conf"


def config_paths(fate_version: str) -> ConfigPaths:
    version = check_version(fate_version)
    if version.startswith("2."):
        home = "/data/projects/fate/fate_flow"
        return ConfigPaths(
            fateflow_home=home,
            service_conf_dir=f"{home}/conf",
            pulsar_route_table_dir=f"{home}/conf/pulsar_route_table",
            fateflow_data_dir=home,
            fateflow_data_sub_paths={"logs": f"{home}/logs", "jobs": f"{home}/jobs",
                                     "model-local-cache": f"{home}/model_local_cache"},
        )
    home = "/data/projects/fate"
    return ConfigPaths(
        fateflow_home=home,
        service_conf_dir=f"{home}/conf",
        pulsar_route_table_dir=f"{home}/conf/pulsar_route_table",
        fateflow_data_dir=home,
        fateflow_data_sub_paths={"logs": f"{home}/fateflow/logs", "jobs": f"{home}/jobs",
                                 "model-local-cache": f"{home}/model_local_cache"},
    )
