"""KubeFATE's own files: the service's config.yaml and the SQL its MariaDB runs at every start.

Pure (no Pulumi): settings in, file text out; components.kubefate_service mounts them as Secrets.
"""

from __future__ import annotations

from components.fateconf.yamlfmt import dump as yaml_dump
from facts import ports
from facts.names import MARIADB_SERVICE

ADMIN_USERNAME = "admin"
DATABASE = "kube_fate"
DATABASE_USER = "kubefate"
CHART_REPO_NAME = "kubefate"
CHART_REPO_URL = "https://federatedai.github.io/KubeFATE"


def kubefate_config_yaml(*, admin_password: str, database_password: str) -> str:
    """The service's config.yaml (viper keys; the image reads /config.yaml at start, before env vars).

    A file instead of KubeFATE's FATECLOUD_* environment variables keeps the passwords out of the
    process environment; no FATECLOUD_* variable is set, so the file is the only source.
    """
    return yaml_dump({
        "server": {"address": "0.0.0.0", "port": str(ports.KUBEFATE_HTTP)},
        "db": {"type": "mysql", "host": MARIADB_SERVICE, "port": str(ports.MARIADB), "name": DATABASE,
               "username": DATABASE_USER, "password": database_password},
        "repo": {"name": CHART_REPO_NAME, "url": CHART_REPO_URL},
        "user": {"username": ADMIN_USERNAME, "password": admin_password},
        "log": {"level": "info", "nocolor": True},
    })


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def mariadb_init_sql(*, database_password: str, root_password: str) -> str:
    """SQL MariaDB runs at every start (--init-file): database, user, grants and passwords as the Secret says.

    Idempotent, so it is safe on every restart; on a retained volume it replaces the passwords of an
    earlier stack with the current ones instead of locking KubeFATE out (KubeFATE #870). Root is
    re-aligned only once the image's entrypoint has set it up (root@'%' exists): during the first
    initialisation the entrypoint still logs in as root without a password.
    """
    user = f"{_sql_string(DATABASE_USER)}@'%'"
    password = _sql_string(database_password)

    def once_initialised(statement: str) -> str:
        return f"EXECUTE IMMEDIATE IF(@initialised > 0, {_sql_string(statement)}, 'DO 0');"

    return "\n".join([
        f"CREATE DATABASE IF NOT EXISTS `{DATABASE}`;",
        f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY {password};",
        f"ALTER USER {user} IDENTIFIED BY {password};",
        f"GRANT ALL PRIVILEGES ON `{DATABASE}`.* TO {user};",
        "SET @initialised = (SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'root' AND Host = '%');",
        *(once_initialised(f"ALTER USER 'root'@'{host}' IDENTIFIED BY {_sql_string(root_password)}")
          for host in ("%", "localhost")),
        "",
    ])
