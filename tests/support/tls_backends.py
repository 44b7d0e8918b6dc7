"""TLS echo servers standing for party brokers: each presents its party's rendered certificate."""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
from pathlib import Path


class TlsEchoBackend:
    """Answers `<name>:<data>` to every line, over TLS with the given certificate and key."""

    def __init__(self, name: str, cert_pem: str, key_pem: str, port: int) -> None:
        self.name = name
        self.port = port
        folder = Path(tempfile.mkdtemp(prefix=f"backend-{name}-"))
        (folder / "cert.pem").write_text(cert_pem)
        (folder / "key.pem").write_text(key_pem)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self._stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._echo, args=(raw,), daemon=True).start()

    def _echo(self, raw: socket.socket) -> None:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(10)
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                while True:
                    data = conn.recv(4096)
                    if not data:
                        return
                    conn.sendall(f"{self.name}:".encode() + data)
        except (OSError, ssl.SSLError):
            return

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self.thread.join(timeout=2)


def tls_client(port: int, server_name: str, ca_pem: str, timeout: float = 5.0) -> ssl.SSLSocket:
    """A client asking the exchange for `server_name` (SNI), verifying the answer against the CA."""
    context = ssl.create_default_context(cadata=ca_pem)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return context.wrap_socket(raw, server_hostname=server_name)


def round_trip(conn: ssl.SSLSocket, payload: bytes) -> bytes:
    conn.sendall(payload)
    return conn.recv(4096)
