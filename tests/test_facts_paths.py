"""Where each image reads its files, per FATE version, and which files a directory mount may hold."""

from __future__ import annotations

import pytest

from facts.paths import config_paths
from facts.versions import UnknownFateVersion


def test_fate_2_paths() -> None:
    paths = config_paths("2.0.0")
    assert paths.service_conf.path == "/data/projects/fate/fate_flow/conf/service_conf.yaml"
    # FATE Flow 2.x opens exactly <home>/conf/pulsar_route_table.yaml for every job.
    assert paths.pulsar_route_table.path == "/data/projects/fate/fate_flow/conf/pulsar_route_table.yaml"
    assert paths.pulsar_route_table_relative == "conf/pulsar_route_table.yaml"
    assert dict(paths.fateflow_data_sub_paths) == {
        "logs": "/data/projects/fate/fate_flow/logs", "jobs": "/data/projects/fate/fate_flow/jobs",
        "model-local-cache": "/data/projects/fate/fate_flow/model_local_cache",
        "model": "/data/projects/fate/fate_flow/model"}


def test_fate_1_paths() -> None:
    paths = config_paths("1.11.2")
    assert paths.service_conf.path == "/data/projects/fate/conf/service_conf.yaml"
    assert paths.pulsar_route_table.path == "/data/projects/fate/conf/pulsar_route_table/pulsar_route_table.yaml"
    assert paths.pulsar_route_table_relative == "conf/pulsar_route_table/pulsar_route_table.yaml"
    assert paths.fateflow_data_sub_paths["logs"] == "/data/projects/fate/fateflow/logs"


@pytest.mark.parametrize("version", ["2.0.0", "1.11.2"])
def test_shared_image_directories_take_single_file_mounts(version: str) -> None:
    paths = config_paths(version)
    for shared in (paths.service_conf, paths.nginx_route_table, paths.pulsar_standalone_conf,
                   paths.fateboard_properties):
        assert not shared.own_directory and not shared.updates_in_place, shared
    assert paths.nginx_route_table.path == "/data/projects/fate/proxy/nginx/conf/route_table.yaml"
    assert paths.pulsar_standalone_conf.path == "/pulsar/conf/standalone.conf"
    assert paths.fateboard_properties.path == "/data/projects/fate/fateboard/conf/application.properties"
    assert paths.spark_defaults.own_directory and paths.env["SPARK_CONF_DIR"] == paths.spark_conf_dir
    assert paths.env["FATE_PROJECT_BASE"] == "/data/projects/fate"


def test_route_table_updates_in_place_only_where_it_has_its_own_directory() -> None:
    assert config_paths("1.11.2").pulsar_route_table.updates_in_place
    assert not config_paths("2.0.0").pulsar_route_table.updates_in_place


def test_unknown_version() -> None:
    with pytest.raises(UnknownFateVersion, match="use one of 2.0.0, 1.11.2"):
        config_paths("2.1.0")
