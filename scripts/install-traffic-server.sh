#!/usr/bin/env bash
# Debian's Apache Traffic Server, the real peer of the exchange tests (tests/test_traffic_server.py).
set -euo pipefail
command -v traffic_server >/dev/null && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends trafficserver >/dev/null
# The package starts a system service; the tests run their own servers from private folders.
(command -v systemctl >/dev/null && systemctl stop trafficserver 2>/dev/null) || true
(command -v service >/dev/null && service trafficserver stop >/dev/null 2>&1) || true
command -v traffic_server >/dev/null
