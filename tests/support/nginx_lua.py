"""A REAL nginx with the lua module (Debian's nginx + libnginx-mod-http-lua) running our rendered nginx.conf.

FATE's own lua and its YAML parser are not available here, so the lua is ours, written to do what FATE's
does (c/proxy/lua/router.lua, balancer.lua at v2.0.0): the router picks `table[dest-party-id][service]`,
or `table.default.proxy` for a party with no entry, and formats `"<host>:<port>"` (gRPC port for HTTP/2
requests); the balancer hands that string to `ngx.balancer.set_current_peer` and, when the module refuses
it, logs the refusal and returns without a peer, so nginx falls back to the upstream's `server` line, as
FATE's balancer does. The route table reaches the lua as a lua table converted from our rendered YAML
(PyYAML stands in for FATE's lua YAML parser, which is not exercised here).

Backends are server blocks of the same nginx on other loopback ports, each answering with its own name,
for HTTP/1.1 and, behind `grpc_pass`, HTTP/2.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

LUA_MODULES = ("/usr/lib/nginx/modules/ndk_http_module.so", "/usr/lib/nginx/modules/ngx_http_lua_module.so")
MIME_TYPES = Path("/etc/nginx/mime.types")

ROUTER_LUA = """\
local routes = require "routes"
local headers = ngx.req.get_headers()
local dest = headers["dest-party-id"]
if dest ~= nil then
    local entry = routes[tostring(dest)]
    local servers
    if entry ~= nil then servers = entry[headers["service"]] else servers = routes["default"]["proxy"] end
    local server = servers[1]
    local port = server["http_port"]
    if ngx.req.http_version() == 2 then port = server["grpc_port"] end
    ngx.ctx.dest_cluster = string.format("%s:%s", server["host"], port)
end
"""

BALANCER_LUA = """\
local balancer = require "ngx.balancer"
local peer = ngx.ctx.dest_cluster
if peer ~= nil then
    local ok, err = balancer.set_current_peer(peer)
    if not ok then
        ngx.log(ngx.ERR, "set_current_peer refused ", peer, ": ", err)
    end
end
"""

VHOST = """\
server {{
    listen 127.0.0.1:{http};
    location / {{
        access_by_lua_file 'lua/router.lua';
        proxy_set_header Connection "";
        proxy_next_upstream off;
        proxy_connect_timeout 2s;
        proxy_pass http://http_cluster;
    }}
}}
server {{
    listen 127.0.0.1:{grpc} http2;
    location / {{
        access_by_lua_file 'lua/router.lua';
        grpc_connect_timeout 2s;
        grpc_pass grpc://grpc_cluster;
    }}
}}
"""

BACKEND = """\
server {{
    listen 127.0.0.1:{port}{http2};
    location / {{ default_type text/plain; return 200 "{name}\\n"; }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def available() -> bool:
    return shutil.which("nginx") is not None and all(Path(m).exists() for m in LUA_MODULES) and \
        shutil.which("curl") is not None


def lua_literal(value: Any) -> str:
    """A YAML-loaded route table as a lua table literal (keys as strings, as FATE's lua turns them)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"[{lua_literal(str(k))}] = {lua_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class FateProxy:
    """One nginx serving our rendered nginx.conf (prefix = a private folder) plus named backends."""

    def __init__(self, root: Path, *, nginx_conf: str, route_table: Mapping[Any, Any] | str,
                 backends: Mapping[str, int], grpc_backends: Mapping[str, int],
                 ports: tuple[int, int] | None = None) -> None:
        """`ports` (HTTP, gRPC) when other proxies' route tables must name this one before it exists."""
        self.root = root
        self.http_port, self.grpc_port = ports or (free_port(), free_port())
        table = yaml.safe_load(route_table) if isinstance(route_table, str) else route_table
        conf, lua = root / "conf", root / "lua"
        (conf / "vhost").mkdir(parents=True)
        lua.mkdir()
        (conf / "nginx.conf").write_text(nginx_conf)
        shutil.copy(MIME_TYPES, conf / "mime.types")
        (conf / "vhost" / "fate.conf").write_text(VHOST.format(http=self.http_port, grpc=self.grpc_port))
        (conf / "vhost" / "backends.conf").write_text(
            "".join(BACKEND.format(port=p, name=n, http2="") for n, p in backends.items())
            + "".join(BACKEND.format(port=p, name=n, http2=" http2") for n, p in grpc_backends.items()))
        (lua / "initialize.lua").write_text("-- routes are loaded by require in router.lua\n")
        (lua / "router.lua").write_text(ROUTER_LUA)
        (lua / "balancer.lua").write_text(BALANCER_LUA)
        (lua / "routes.lua").write_text(f"return {lua_literal(table)}\n")
        self.error_log = root / "error.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _command(self, *extra: str) -> list[str]:
        directives = "".join(f"load_module {m}; " for m in LUA_MODULES) + \
            f"pid {self.root}/nginx.pid; daemon off; master_process on;"
        if os.geteuid() == 0:
            directives += " user root;"  # workers read the private folder (the image's workers run as nobody)
        return ["nginx", "-p", f"{self.root}/", "-c", "conf/nginx.conf", "-e", str(self.error_log),
                "-g", directives, *extra]

    def check(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t` on the rendered configuration."""
        return subprocess.run(self._command("-t"), capture_output=True, text=True, timeout=30)

    def start(self) -> None:
        with open(self.root / "stderr.log", "wb") as stderr:
            self.process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL, stderr=stderr,
                                            start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.logs()}")
            try:
                with socket.create_connection(("127.0.0.1", self.http_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen within 10 s: {self.logs()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def logs(self) -> str:
        parts = [p.read_text(errors="replace") for p in (self.error_log, self.root / "stderr.log") if p.exists()]
        return "\n".join(parts)[-4000:]

    def refusals(self) -> list[str]:
        """The peers the lua module refused, with its reason (from the error log)."""
        return re.findall(r"set_current_peer refused (\S+): (.+?)(?: while [^,]*)?,", self.logs())

    def call(self, dest: str | int | None, service: str = "fateflow", *, grpc: bool = False) -> tuple[int, str]:
        """A request as FATE Flow sends it (headers dest-party-id and service): (status, body)."""
        port = self.grpc_port if grpc else self.http_port
        command = ["curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}",
                   *(["--http2-prior-knowledge"] if grpc else []), "-H", f"service: {service}"]
        if dest is not None:
            command += ["-H", f"dest-party-id: {dest}"]
        result = subprocess.run([*command, f"http://127.0.0.1:{port}/v2/test"], capture_output=True,
                                text=True, timeout=30)
        body, _, status = result.stdout.rpartition("\n")
        return int(status or 0), body.strip()
