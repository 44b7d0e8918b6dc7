"""A real DNS server on 127.0.0.1 standing for the cluster's DNS in Traffic Server tests.

The exchange's party rule dials `party-<id>.<namespace>.svc.<cluster domain>`; in a cluster, cluster DNS
answers for each party Service: an A record and, for its named port, the SRV record `_tunnel._tcp.<name>`
(the Kubernetes DNS specification). This server answers the same way from a table the test changes, so
adding or removing a name is what creating or deleting a party Service does. Every answer points at
127.0.0.1 (loopback only); the SRV port tells the backends apart. Answers carry TTL 0.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from dnslib import QTYPE, RCODE, RR, SRV, A, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

from components.fateconf.ats import PARTY_PORT_NAME

LOOPBACK = "127.0.0.1"


class _Resolver(BaseResolver):
    def __init__(self) -> None:
        self.names: dict[str, int] = {}
        self.lock = threading.Lock()
        self.queries: list[tuple[str, str]] = []

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        srv_prefix = f"_{PARTY_PORT_NAME}._tcp."
        with self.lock:
            self.queries.append((qtype, name))
            target = name[len(srv_prefix):] if name.startswith(srv_prefix) else name
            port = self.names.get(target)
        if port is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif qtype == "A" and target == name:
            reply.add_answer(RR(name, QTYPE.A, rdata=A(LOOPBACK), ttl=0))
        elif qtype == "SRV" and target != name:
            reply.add_answer(RR(name, QTYPE.SRV, rdata=SRV(0, 100, port, target), ttl=0))
            reply.add_ar(RR(target, QTYPE.A, rdata=A(LOOPBACK), ttl=0))
        # any other question about a known name: NOERROR and no answer (NODATA), as cluster DNS does
        return reply


class LoopbackDns:
    """UDP DNS on 127.0.0.1 (a free port, `port`): `set_names` maps a host name to the port its SRV record
    gives."""

    def __init__(self) -> None:
        self._resolver = _Resolver()
        self._server = DNSServer(self._resolver, port=0, address=LOOPBACK, logger=DNSLogger("error"))
        self.port: int = self._server.server.server_address[1]
        self._server.start_thread()

    def set_names(self, names: Mapping[str, int]) -> None:
        """Replace every record at once (a party Service created or deleted)."""
        with self._resolver.lock:
            self._resolver.names = {name.lower(): port for name, port in names.items()}

    @property
    def queries(self) -> list[tuple[str, str]]:
        with self._resolver.lock:
            return list(self._resolver.queries)

    def close(self) -> None:
        self._server.stop()
