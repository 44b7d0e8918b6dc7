"""`python -m fedctl graph` on the outputs of the repository's stacks, drawn by the real Graphviz.

The outputs come from the offline render (the real program under the SDK's mocks, fedctl.mocks): the
settled federation, and one where party-b has not run yet (its link at the exchange is pending). The
SVG that Graphviz writes is read back as XML: the tests check what a person sees in it (the nodes'
text, and how each link is drawn), not the DOT source.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from fedctl.__main__ import main
from fedctl.graph import ROUTE_STYLES, write_graph
from fedctl.status import federation_status, rendered_outputs

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def half_joined(half_joined_render_dir: Path) -> Path:
    """exchange and party-a settled, party-b never ran: one routed link, one pending."""
    return half_joined_render_dir


def svg_groups(path: Path) -> dict[str, list[ElementTree.Element]]:
    """Graphviz's SVG: one <g class="node|edge|cluster"> per element, with its texts and shapes."""
    root = ElementTree.parse(path).getroot()
    groups: dict[str, list[ElementTree.Element]] = {}
    for group in root.iter(f"{SVG}g"):
        groups.setdefault(group.get("class", ""), []).append(group)
    return groups


def texts(group: ElementTree.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def edge_to(groups: dict[str, list[ElementTree.Element]], label_part: str) -> ElementTree.Element:
    return next(e for e in groups["edge"] if any(label_part in t for t in texts(e)))


def test_pending_link_drawn_dashed(half_joined: Path, tmp_path: Path) -> None:
    report = federation_status(rendered_outputs(half_joined), "fate-federation")
    out = write_graph(report, tmp_path / "federation.svg")
    groups = svg_groups(out)
    nodes = [" ".join(texts(n)) for n in groups["node"] if texts(n)]
    assert any(n.startswith("exchange: exchange domain fate.example.org Traffic Server 192.0.2.") for n in nodes)
    assert any(n.startswith("party 9999 party-a / FATE 2.0.0 joined cert until ") for n in nodes)
    assert "party (id not known yet) party-b no stack outputs" in nodes
    routed = edge_to(groups, "Pulsar SNI -> 192.0.2.")
    pending = edge_to(groups, "pending")
    routed_path = next(routed.iter(f"{SVG}path"))
    pending_path = next(pending.iter(f"{SVG}path"))
    assert routed_path.get("stroke") == ROUTE_STYLES["routed"]["color"] and not routed_path.get("stroke-dasharray")
    assert pending_path.get("stroke") == ROUTE_STYLES["pending"]["color"] and pending_path.get("stroke-dasharray")
    assert "has no outputs yet: run `pulumi up -s party-b`" in " ".join(texts(pending))


def test_settled_federation_png(tmp_path: Path, capsys: pytest.CaptureFixture[str], settled_render_dir: Path) -> None:
    out_dir = settled_render_dir
    png = tmp_path / "federation.png"
    assert main(["graph", "--out", str(png), "--from-render", str(out_dir)]) == 0
    assert capsys.readouterr().out.strip() == f"drew {png}"
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert width > 800 and height > 200
    svg = tmp_path / "federation.svg"
    assert main(["graph", "--out", str(svg), "--from-render", str(out_dir)]) == 0
    groups = svg_groups(svg)
    clusters = [" ".join(texts(c)) for c in groups["cluster"]]
    assert "federation exchange" in clusters and "federation local" in clusters
    links = [e for e in groups["edge"] if any("Pulsar SNI" in t for t in texts(e))]
    assert len(links) == 4  # party-a and party-b at the exchange, two parties in the local stack
    assert all(next(e.iter(f"{SVG}path")).get("stroke") == ROUTE_STYLES["routed"]["color"] for e in links)
    # only the stacks named (what `make federation` draws): the local stack's federation is left out
    only = tmp_path / "exchange-only.svg"
    assert main(["graph", "--out", str(only), "--from-render", str(out_dir), "exchange", "party-a", "party-b"]) == 0
    clusters = [" ".join(texts(c)) for c in svg_groups(only)["cluster"]]
    assert "federation exchange" in clusters and "federation local" not in clusters


def test_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str], half_joined: Path) -> None:
    assert main(["graph", "--out", str(tmp_path / "f.jpeg"), "--from-render", str(half_joined)]) == 3
    assert capsys.readouterr().err.startswith(f"error: --out {tmp_path / 'f.jpeg'}: the file name must end in .svg, .png, .pdf")
