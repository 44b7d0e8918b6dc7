"""The exchange's entry script finds where the Traffic Server image reads its config by asking the image.

federatedai/trafficserver has no public build files (facts/images.py) and KubeFATE's chart mounts config
both under /etc/trafficserver and /opt/trafficserver/etc/trafficserver, so the script asks the binary
(`traffic_layout info` prints SYSCONFDIR) instead of assuming a path. Here a REAL Traffic Server (Debian's)
runs the script with no config directory given: it must install the files where that Traffic Server reads
them (its runroot's sysconfdir) and start listening on the port our records.config names.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from components.fateconf import ats
from facts.versions import TRAFFIC_SERVER_IMAGE
from tests.support.peers import require_peer
from tests.support.traffic_server import ExchangeRoutes, TrafficServer


def _self_signed(folder: Path) -> dict[str, str]:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=proxy.fate.example.org", "-keyout", str(folder / "key.pem"), "-out",
                    str(folder / "cert.pem")], check=True, capture_output=True)
    cert, key = (folder / "cert.pem").read_text(), (folder / "key.pem").read_text()
    return {ats.CERT_FILE: cert, ats.KEY_FILE: key, ats.CA_FILE: cert}


def test_config_goes_where_the_image_reads_it(tmp_path: Path) -> None:
    require_peer("Traffic Server", shutil.which("traffic_layout") is not None,
                 "run `bash scripts/install-traffic-server.sh`")
    files = ats.traffic_server_files([])
    sni = files.pop(ats.SNI_FILENAME)
    server = TrafficServer(tmp_path / "ats", config_files=files, routes=ExchangeRoutes(sni, {}),
                           cert_files=_self_signed(tmp_path), backends={})
    del server.env["ATS_CONFIG_DIR"]  # as in the pod: nothing tells the script where the config goes
    try:
        server.start()
        assert (tmp_path / "ats" / "etc" / "records.config").exists()
        assert (tmp_path / "ats" / "etc" / ats.SNI_FILENAME).exists()
        assert f"config in {tmp_path / 'ats' / 'etc'}" in (tmp_path / "ats" / "entry.log").read_text()
    finally:
        server.close()


def test_the_image_tag_is_one_published_sources_name() -> None:
    """KubeFATE pulls the image untagged, FedLCM as `latest`; no other tag can be cited."""
    assert TRAFFIC_SERVER_IMAGE == "federatedai/trafficserver:latest"
