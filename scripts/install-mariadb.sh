#!/usr/bin/env bash
# Debian's MariaDB server, the real peer of the KubefateService credential tests (tests/test_kubefate_service.py).
set -euo pipefail
command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
# The package may start a system service; the tests run their own server from a private folder.
(command -v service >/dev/null && service mariadb stop >/dev/null 2>&1) || true
command -v mariadbd >/dev/null
