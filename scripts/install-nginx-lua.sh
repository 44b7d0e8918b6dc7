#!/usr/bin/env bash
# Debian's nginx with the lua module (lua-nginx-module + lua-resty-core), the real peer of the route-table
# tests (tests/test_nginx_lua.py): FATE's proxy picks each upstream with ngx.balancer.set_current_peer,
# and only a real module shows which route entries it accepts. curl sends the tests' HTTP/2 (gRPC-side)
# calls. Prints nothing on success.
set -euo pipefail
module=/usr/share/nginx/modules-available/mod-http-lua.conf
command -v nginx >/dev/null && [ -f "$module" ] && [ -d /usr/share/lua/5.1/resty/core ] && command -v curl >/dev/null \
  && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends nginx-light libnginx-mod-http-lua curl >/dev/null
# The package starts a system nginx on port 80; the tests run their own from private folders.
(command -v service >/dev/null && service nginx stop >/dev/null 2>&1) || true
command -v nginx >/dev/null && [ -f "$module" ] && command -v curl >/dev/null
