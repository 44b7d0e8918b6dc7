"""`fedctl graph`: a picture of the federation (exchanges, parties, routes) drawn by Graphviz.

Built from the same StatusReport as `fedctl status`, so the picture and the table never disagree.
The graph is described with the `graphviz` package and laid out by Debian's `dot`
(scripts/install-graphviz.sh). Every link is labelled with its status at the exchange and drawn in a
style of its own (routed solid green, pending dashed orange, refused dotted red, not listed dashed
grey), so the picture needs no legend.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import graphviz

from fedctl.status import FederationView, PartyRow, StatusReport

FORMATS = ("svg", "png", "pdf")
JOIN_COLOURS = {"joined": "#d9f2d9", "awaiting-certificate": "#fff2cc", "awaiting-exchange": "#fff2cc"}
"""Node fill by joinStatus; a party with no stack outputs (static, or not deployed) is grey."""
ROUTE_STYLES = {
    "routed": {"style": "solid", "color": "#2e7d32", "fontcolor": "#2e7d32"},
    "pending": {"style": "dashed", "color": "#e69500", "fontcolor": "#a66b00"},
    "refused": {"style": "dotted", "color": "#c62828", "fontcolor": "#c62828", "penwidth": "2"},
    "not listed": {"style": "dashed", "color": "#9e9e9e", "fontcolor": "#616161"},
}


class GraphError(Exception):
    """An output format Graphviz is not asked for here, or `dot` is missing."""


def _exchange_label(view: FederationView) -> str:
    lines = [f"exchange: {view.name}"]
    if not view.deployed:
        lines.append("(not in these outputs)")
    if view.domain:
        lines.append(f"domain {view.domain}")
    if view.traffic_server:
        lines.append(f"Traffic Server {view.traffic_server}")
    if view.nginx:
        lines.append(f"nginx {view.nginx}")
    if view.ca:
        lines.append(f"CA until {view.ca.not_after[:10]}")
    return "\n".join(lines)


def _party_label(party: PartyRow) -> str:
    lines = [f"party {party.party_id}" if party.party_id is not None else "party (id not known yet)"]
    detail = [d for d in (party.stack, f"FATE {party.fate_version}" if party.fate_version else None) if d]
    if detail:
        lines.append(" / ".join(detail))
    lines.append(party.join_status or "no stack outputs")
    if party.certificate:
        lines.append(f"cert until {party.certificate.not_after[:10]}")
    for job in party.jobs:
        lines.append(f"job {job.name}: {job.status or 'not run'}")
    return "\n".join(lines)


def _route_label(party: PartyRow) -> str:
    if party.route_status == "routed":
        return f"routed\nPulsar SNI -> {party.sni_route}\nFATE Flow -> {party.nginx_route}"
    reason = textwrap.fill(party.route_reason or "", width=44, max_lines=4, placeholder=" ...")
    return f"{party.route_status}" + (f"\n{reason}" if reason else "")


def federation_graph(report: StatusReport) -> graphviz.Digraph:
    """One cluster per federation: the exchange on top, its parties below, an edge per party."""
    graph = graphviz.Digraph("federation", graph_attr={
        "rankdir": "TB", "fontname": "DejaVu Sans", "fontsize": "12", "nodesep": "0.6", "ranksep": "1.1",
        "labelloc": "t", "label": "FATE federation (fedctl graph)"})
    graph.attr("node", fontname="DejaVu Sans", fontsize="11", shape="box", style="rounded,filled")
    graph.attr("edge", fontname="DejaVu Sans", fontsize="9")
    for index, view in enumerate(report.federations):
        with graph.subgraph(name=f"cluster_{index}") as cluster:
            cluster.attr(label=f"federation {view.name}", style="rounded", color="#607d8b")
            exchange_id = f"exchange_{index}"
            cluster.node(exchange_id, _exchange_label(view), fillcolor="#cfe2f3" if view.deployed else "#eeeeee",
                         shape="box", penwidth="2")
            for party_index, party in enumerate(view.parties):
                party_id = f"party_{index}_{party_index}"
                cluster.node(party_id, _party_label(party),
                             fillcolor=JOIN_COLOURS.get(party.join_status or "", "#eeeeee"))
                style = ROUTE_STYLES.get(party.route_status or "not listed", ROUTE_STYLES["pending"])
                cluster.edge(exchange_id, party_id, _route_label(party), dir="both", **style)
    return graph


def write_graph(report: StatusReport, out: Path) -> Path:
    """Draw the report into `out`; the format is the file's suffix (.svg, .png or .pdf)."""
    out = Path(out)
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise GraphError(f"--out {out}: the file name must end in {', '.join('.' + f for f in FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        federation_graph(report).render(outfile=out, format=fmt, cleanup=True)
    except graphviz.ExecutableNotFound:
        raise GraphError("Graphviz's `dot` is not installed: run `bash scripts/install-graphviz.sh`") from None
    return out
