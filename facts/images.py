"""What each image we run does at start, read from the image's own build files: the one place for these facts.

For every module in facts.versions (and the exchange's Traffic Server) this records the user and group the
process runs as, the paths it writes, what its data directory must look like on a first start, where it
reads each config file and its command, each with the source it was read in (repository, path, ref).
Tests hold every rendered workload to these records: ownership of each writable volume, a subPath or an
init step where a fresh volume is not empty (ext4 puts `lost+found` at the root of a new filesystem), and
config files mounted where the image reads them. docs/images.md has the same facts for readers.

Where no build files could be found (federatedai/pulsar, federatedai/trafficserver) the record says so
(`build_files_found=False`) and names what it is inferred from instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ROOT = 0


@dataclass(frozen=True)
class Source:
    """Where a fact was read: a repository, a path in it, and the tag, branch or commit."""

    repository: str
    path: str
    ref: str


@dataclass(frozen=True)
class DataDirectory:
    """The directory a module keeps its state in, i.e. where its volume mounts."""

    path: str
    first_start_needs_empty: bool
    """True when the image initialises only an EMPTY directory (or aborts on a non-empty one): a fresh
    filesystem's `lost+found` at the volume root breaks the first start, so mount a sub-directory
    (subPath) or remove it in an init step."""
    why: str
    volume_sub_path: str | None = None
    """The volume sub-directory to mount as the data directory when `first_start_needs_empty`."""


@dataclass(frozen=True)
class ConfigRead:
    """A config file the image reads, where, and when."""

    path: str
    read: str
    """"start", "per job" or "every 5 s"."""


@dataclass(frozen=True)
class ImageFacts:
    module: str
    """The module key of facts.versions (plus "traffic-server")."""
    runs_as_user: int
    runs_as_group: int
    steps_down_to: int | None
    """The uid the entrypoint switches to after root-only preparation (gosu), if it does."""
    writes: tuple[str, ...]
    data: DataDirectory | None
    config: tuple[ConfigRead, ...]
    command: tuple[str, ...]
    sources: tuple[Source, ...]
    build_files_found: bool = True
    notes: str = ""

    @property
    def writing_user(self) -> int:
        """The uid that writes the data directory (after any step-down)."""
        return self.steps_down_to if self.steps_down_to is not None else self.runs_as_user

    @property
    def needs_volume_ownership(self) -> bool:
        """True when a root-owned fresh volume is not writable by the image's process as it starts:
        a non-root process that does not chown its data directory itself needs fsGroup."""
        return self.runs_as_user != ROOT

    @property
    def volume_group(self) -> int:
        """The fsGroup that makes a fresh volume writable for the process: its own group, or (when that
        is root's) a group numbered like its user, added to the process as a supplementary group."""
        return self.runs_as_group if self.runs_as_group != ROOT else self.runs_as_user


_BUILDER_2 = "develop-2.0.0 (5e70d61c3f1f)"
_BUILDER_1 = "main, 'Support FATE v1.11.2' (1da495e; HEAD acdbb2f27604)"
_FATE_BUILDER = "FederatedAI/FATE-Builder"
_KUBEFATE = "FederatedAI/KubeFATE"


def _builder(path: str) -> tuple[Source, Source]:
    return (Source(_FATE_BUILDER, f"docker-build/{path}", _BUILDER_2),
            Source(_FATE_BUILDER, f"docker-build/{path}", _BUILDER_1))


_FATE_BASE = Source(_FATE_BUILDER, "docker-build/base/basic/Dockerfile", _BUILDER_2)
"""centos:centos7, `USER root`, Python 3.8 venv at /data/projects/python/venv: every FATE Python image."""

FATEFLOW = ImageFacts(
    module="fateflow",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/data/projects/fate/fate_flow/logs", "/data/projects/fate/fate_flow/jobs",
            "/data/projects/fate/fate_flow/model_local_cache", "/data/projects/fate/fate_flow/model"),
    data=DataDirectory("/data/projects/fate/fate_flow", False,
                       "FATE Flow creates its logs/jobs/model directories itself; other files are ignored"),
    config=(ConfigRead("/data/projects/fate/fate_flow/conf/service_conf.yaml", "start"),
            ConfigRead("/data/projects/fate/fate_flow/conf/pulsar_route_table.yaml", "per job"),
            ConfigRead("/data/projects/fate/fate_flow/conf/job_default_config.yaml", "start"),
            ConfigRead("$SPARK_HOME/conf/spark-defaults.conf (or $SPARK_CONF_DIR)", "per job")),
    command=("/bin/bash", "-c", "sleep 5 && python fate_flow/python/fate_flow/fate_flow_server.py"),
    sources=(_FATE_BASE, *_builder("modules/fateflow/Dockerfile"), *_builder("modules/fateflow-spark/Dockerfile")),
    notes="WORKDIR /data/projects/fate, FATE_PROJECT_BASE=/data/projects/fate, SPARK_HOME="
          "/data/projects/spark-3.1.3-bin-hadoop3.2/. 1.11.2: home /data/projects/fate/fateflow, command "
          "`python fateflow/python/fate_flow/fate_flow_server.py`, service_conf in /data/projects/fate/conf/.",
)

CLIENT = ImageFacts(
    module="client",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/data/projects/fate",),
    data=DataDirectory("/data/projects/fate/persistence", False, "a notebook folder; anything may be in it"),
    config=(),
    command=("sh", "-c", "pipeline init --ip ${FATE_FLOW_IP} --port ${FATE_FLOW_PORT} && flow init --ip "
             "${FATE_FLOW_IP} --port ${FATE_FLOW_PORT} && jupyter notebook --ip=0.0.0.0 --port=20000 --allow-root "
             "--debug --NotebookApp.notebook_dir='/data/projects/fate/' --no-browser --NotebookApp.token='' "
             "--NotebookApp.password=''"),
    sources=_builder("modules/client/Dockerfile"),
    notes="The image's own command runs Jupyter as root with an EMPTY token and password: anyone who reaches "
          "port 20000 gets a shell in the party's network. Replace the command or keep the notebook off.",
)

FATEBOARD = ImageFacts(
    module="fateboard",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/data/projects/fate/fateboard",),
    data=None,
    config=(ConfigRead("/data/projects/fate/fateboard/conf/application.properties", "start"),),
    command=("sh", "-c", "java -Dspring.config.location=/data/projects/fate/fateboard/conf/application.properties "
             "-Dssh_config_file=/data/projects/fate/fateboard/conf -Xmx2048m -Xms2048m ... -Xloggc:gc.log "
             "-jar fateboard.jar"),
    sources=(Source(_FATE_BUILDER, "docker-build/modules/fateboard/Dockerfile", _BUILDER_2),
             Source(_FATE_BUILDER, "docker-build/modules/fateboard/Dockerfile.amd64", _BUILDER_1)),
    notes="mcr.microsoft.com/java/jre:8u192-zulu-alpine, no USER; WORKDIR /data/projects/fate/fateboard/ (gc.log "
          "and logs are written there). A fixed 2 GiB heap (-Xms2048m): the container needs more than 2 GiB.",
)

NGINX = ImageFacts(
    module="nginx",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/data/projects/fate/proxy/nginx/logs", "/data/projects/fate/proxy/nginx/client_body_temp",
            "/data/projects/fate/proxy/nginx/proxy_temp"),
    data=None,
    config=(ConfigRead("/data/projects/fate/proxy/nginx/conf/nginx.conf", "start"),
            ConfigRead("/data/projects/fate/proxy/nginx/conf/vhost/*.conf", "start"),
            ConfigRead("/data/projects/fate/proxy/nginx/conf/route_table.yaml", "every 5 s")),
    command=("openresty", "-g", "daemon off;"),
    sources=(*_builder("modules/nginx/Dockerfile"),
             Source("FederatedAI/FATE", "c/proxy/conf/nginx.conf, c/proxy/lua/{route_table,router,balancer}.lua",
                    "v2.0.0, v1.11.2")),
    notes="ubuntu:18.04 + OpenResty 1.17.8.2 built with --prefix=/data/projects/fate/proxy, so nginx's prefix is "
          "/data/projects/fate/proxy/nginx/. The master runs as root, workers as nobody (nginx's default; FATE's "
          "nginx.conf leaves `user` commented). The lua balancer calls ngx.balancer.set_current_peer(\"host:port\"), "
          "which accepts IP literals only; when it fails the upstream's own `server` line is used (FATE's "
          "nginx.conf: the placeholder 0.0.0.1; KubeFATE's: fateflow:9380 / fateflow:9360).",
)

SPARK_MASTER = ImageFacts(
    module="spark-master",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/spark/logs",),
    data=None,
    config=(),
    command=("/bin/bash", "/master.sh"),
    sources=(*_builder("modules/spark-master/Dockerfile"), *_builder("modules/spark-master/master.sh"),
             *_builder("modules/spark-base/Dockerfile")),
    notes="spark-base is built FROM fateflow-spark (FATE's Python and code) and unpacks Spark 3.1.3 to /spark. "
          "master.sh binds the master to `hostname` (SPARK_MASTER_HOST), port 7077, UI 8080.",
)

SPARK_WORKER = ImageFacts(
    module="spark-worker",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/spark/logs", "/spark/work"),
    data=None,
    config=(ConfigRead("/data/projects/fate/conf/service_conf.yaml", "per job"),),
    command=("/bin/bash", "/worker.sh"),
    sources=(*_builder("modules/spark-worker/Dockerfile"), *_builder("modules/spark-worker/worker.sh"),
             Source(_KUBEFATE, "helm-charts/FATE/templates/backends/spark/spark/{configmap,deployment}.yaml",
                    "v2.0.0")),
    notes="SPARK_MASTER defaults to spark://spark-master:7077. KubeFATE mounts a DUMMY service_conf.yaml "
          "(no database password) at /data/projects/fate/conf/ for FATE's code in the executors.",
)

MYSQL = ImageFacts(
    module="mysql",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=999,
    writes=("/var/lib/mysql", "/var/run/mysqld"),
    data=DataDirectory("/var/lib/mysql", True,
                       "with no mysql/ sub-directory the entrypoint runs `mysqld --initialize-insecure`, which "
                       "aborts when the directory has any file in it (lost+found included)", "mysql"),
    config=(ConfigRead("/etc/mysql/my.cnf, /etc/mysql/conf.d/", "start"),
            ConfigRead("/docker-entrypoint-initdb.d/", "first start"),
            ConfigRead("$MYSQL_*_FILE (e.g. /run/secrets/mysql/MYSQL_PASSWORD)", "first start")),
    command=("docker-entrypoint.sh", "mysqld"),
    sources=(Source("docker-library/mysql", "8.0/Dockerfile.debian", "25b68c6 (MYSQL_VERSION 8.0.28-1debian10)"),
             Source("docker-library/mysql", "8.0/docker-entrypoint.sh", "25b68c6"),
             Source(_KUBEFATE, "helm-charts/FATE/templates/core/mysql/statefulSet.yaml", "v2.0.0")),
    notes="debian:buster-slim; `groupadd -r mysql && useradd -r -g mysql mysql` (the image's first system ids, "
          "999:999); the entrypoint starts as root, chowns the data directory to mysql and `exec gosu mysql`. "
          "While it initialises, the server listens with --skip-networking: port 3306 stays closed for as long "
          "as the first start takes. KubeFATE mounts the volume with `subPath` and probes with `mysqladmin ping` "
          "(readiness, liveness and a startup probe of 12 x 10 s).",
)

PULSAR = ImageFacts(
    module="pulsar",
    runs_as_user=10000, runs_as_group=ROOT, steps_down_to=None,
    writes=("/pulsar/data", "/pulsar/logs", "/pulsar/conf", "/pulsar/download"),
    data=DataDirectory("/pulsar/data", False, "standalone creates data/standalone/{bookkeeper,zookeeper} itself"),
    config=(ConfigRead("/pulsar/conf/standalone.conf", "start"),
            ConfigRead("/opt/pulsar/certs/ (tlsCertificateFilePath etc., as standalone.conf says)", "start")),
    command=("bin/pulsar", "standalone", "-nss"),
    sources=(Source("apache/pulsar", "docker/README.md (\"Since the 2.10.0 release ... non-root user that is also "
                    "part of the root group\")", "branch-2.10"),
             Source("apache/pulsar", "issue #15230 (AccessDeniedException: /pulsar/data/standalone)", "2.10.0"),
             Source("apache/pulsar", "pull request #15769 (g+w on /pulsar/{conf,data,download,logs})", "2.10.1"),
             Source(_KUBEFATE, "helm-charts/FATE/templates/backends/spark/pulsar/statefulSet.yaml", "v2.0.0")),
    build_files_found=False,
    notes="No build files for federatedai/pulsar were found (KubeFATE, FATE-Builder, FATE): it is taken to be "
          "Apache Pulsar's image of the same version (2.10.2 / 2.10.1), which runs as uid 10000, gid 0 and cannot "
          "write a root-owned volume at /pulsar/data. KubeFATE sets no securityContext (no fsGroup).",
)

HADOOP_NAMENODE = ImageFacts(
    module="hadoop-namenode",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/hadoop/dfs/name", "/etc/hadoop", "/opt/hadoop-3.2.1/logs"),
    data=DataDirectory("/hadoop/dfs/name", True,
                       "run.sh formats the namenode only when `ls -A /hadoop/dfs/name` is empty; with lost+found "
                       "it is never formatted and the namenode exits", "name"),
    config=(ConfigRead("/etc/hadoop/*-site.xml, written at start from CORE_CONF_*/HDFS_CONF_* variables", "start"),),
    command=("/entrypoint.sh", "/run.sh"),
    sources=(Source("big-data-europe/docker-hadoop", "namenode/run.sh, namenode/Dockerfile",
                    "2.0.0-hadoop3.2.1-java8 (e1e1e21ec9e5)"),
             Source("big-data-europe/docker-hadoop", "base/Dockerfile, base/entrypoint.sh",
                    "2.0.0-hadoop3.2.1-java8 (e1e1e21ec9e5)"),
             Source(_KUBEFATE, "helm-charts/FATE/templates/backends/spark/hdfs/namenode.yaml", "v2.0.0")),
    notes="federatedai/hadoop-namenode:2.0.0-hadoop3.2.1-java8 carries bde2020's tag; no FATE build files for it "
          "were found. The entrypoint edits /etc/hadoop/*-site.xml in place with `sed -i` (a subPath-mounted file "
          "there cannot be replaced). Later bde2020 commits (8414e2b, 2020-06) remove lost+found in run.sh, "
          "but not the tag we run; KubeFATE runs a `delete-lost-found` busybox init container.",
)

HADOOP_DATANODE = ImageFacts(
    module="hadoop-datanode",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/hadoop/dfs/data", "/etc/hadoop", "/opt/hadoop-3.2.1/logs"),
    data=DataDirectory("/hadoop/dfs/data", False,
                       "the datanode formats its storage when it has no current/VERSION; other entries are ignored"),
    config=(ConfigRead("/etc/hadoop/*-site.xml, written at start from CORE_CONF_*/HDFS_CONF_* variables", "start"),),
    command=("/entrypoint.sh", "/run.sh"),
    sources=(Source("big-data-europe/docker-hadoop", "datanode/run.sh, datanode/Dockerfile",
                    "2.0.0-hadoop3.2.1-java8 (e1e1e21ec9e5)"),
             Source("big-data-europe/docker-hadoop", "base/entrypoint.sh (SERVICE_PRECONDITION waits with nc -z)",
                    "2.0.0-hadoop3.2.1-java8 (e1e1e21ec9e5)")),
)

TRAFFIC_SERVER = ImageFacts(
    module="traffic-server",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=("/opt/trafficserver/var",),
    data=None,
    config=(ConfigRead("<sysconfdir>/records.config, ssl_multicert.config, sni.yaml (traffic_layout info "
                       "--json prints sysconfdir)", "start; sni.yaml on `traffic_ctl config reload`"),),
    command=("/opt/trafficserver/bin/traffic_manager",),
    sources=(Source(_KUBEFATE, "helm-charts/FATE-Exchange/templates/traffic-server-module.yaml", "v2.0.0, v1.11.2"),
             Source(_KUBEFATE, "helm-charts/Images_list.md (`federatedai/trafficserver`, no tag)", "v2.0.0"),
             Source("FederatedAI/FedLCM", "exchange chart template (`imageTag: latest`)", "v0.3.0")),
    build_files_found=False,
    notes="No build files for federatedai/trafficserver exist in KubeFATE (whole history), FATE-Builder or FATE; "
          "KubeFATE pulls it untagged and FedLCM as `latest`, so no other tag can be cited. The chart runs "
          "/opt/trafficserver/bin/traffic_manager (a source build with prefix /opt/trafficserver) and mounts "
          "records.config and ssl_multicert.config under /etc/trafficserver/ but sni/ and the proxy key pair "
          "under /opt/trafficserver/etc/trafficserver/, while records.config names `sni/sni.yaml` relative to "
          "the config directory: the two can only both work if one directory is a link to the other. The "
          "exchange's entry script asks the image's own `traffic_layout info` for its SYSCONFDIR and installs "
          "every file there.",
)

MARIADB = ImageFacts(
    module="mariadb",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=999,
    writes=("/var/lib/mysql", "/run/mysqld"),
    data=DataDirectory("/var/lib/mysql", False,
                       "mariadb-install-db initialises a directory that already holds other entries"),
    config=(ConfigRead("/etc/mysql/my.cnf, /etc/mysql/conf.d/, /etc/mysql/mariadb.conf.d/", "start"),),
    command=("docker-entrypoint.sh", "mariadbd"),
    sources=(Source("MariaDB/mariadb-docker", "10.11/Dockerfile, 10.11/docker-entrypoint.sh", "10.11 branch"),),
    notes="ubuntu:jammy; `groupadd -r mysql && useradd -r -g mysql mysql` (999:999); starts as root, chowns the "
          "data directory and `exec gosu mysql`.",
)

KUBEFATE = ImageFacts(
    module="kubefate",
    runs_as_user=65532, runs_as_group=65532, steps_down_to=None,
    writes=(),
    data=None,
    config=(ConfigRead("/config.yaml (beside /kubefate; FATECLOUD_* variables override)", "start"),),
    command=("/kubefate", "service"),
    sources=(Source(_KUBEFATE, "k8s-deploy/Dockerfile", "v2.0.0 (unchanged since v1.11.2)"),),
    notes="gcr.io/distroless/static:nonroot, `USER nonroot:nonroot` (65532); no shell in the image.",
)

BUSYBOX = ImageFacts(
    module="busybox",
    runs_as_user=ROOT, runs_as_group=ROOT, steps_down_to=None,
    writes=(), data=None, config=(), command=("sh",),
    sources=(Source(_KUBEFATE, "helm-charts/FATE/templates/backends/spark/hdfs/namenode.yaml "
                    "(delete-lost-found init container)", "v2.0.0"),),
    notes="Only for init steps that prepare a volume (remove lost+found) before the module starts.",
)

IMAGE_FACTS: Mapping[str, ImageFacts] = {
    facts.module: facts
    for facts in (FATEFLOW, CLIENT, FATEBOARD, NGINX, SPARK_MASTER, SPARK_WORKER, MYSQL, PULSAR, HADOOP_NAMENODE,
                  HADOOP_DATANODE, TRAFFIC_SERVER, MARIADB, KUBEFATE, BUSYBOX)
}
"""module -> facts; the keys are facts.versions' module names plus "traffic-server"."""


def image_facts(module: str) -> ImageFacts:
    """The start-up facts of `module`'s image (KeyError names the modules that have records)."""
    try:
        return IMAGE_FACTS[module]
    except KeyError:
        raise KeyError(f"no image facts for module {module!r}: one of {', '.join(IMAGE_FACTS)}") from None
