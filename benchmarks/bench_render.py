"""Offline render time of every stack, and of the exchange for 2, 50 and 200 parties.

Runs the real program under the engine mocks (fedctl.engine); certificates are really generated and
signed (cryptography), so the figures include the PKI work an exchange does per party.
Usage: .venv/bin/python benchmarks/bench_render.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from fedctl.engine import run_program  # noqa: E402
from fedctl.render import render_stacks  # noqa: E402
from fedctl.stackfiles import stack_config, stack_names  # noqa: E402


def csr(party_id: int, domain: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = f"{party_id}.{domain}"
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
               .sign(key, hashes.SHA256()))
    return request.public_bytes(serialization.Encoding.PEM).decode()


def exchange_config(parties: int) -> dict:
    config, _ = stack_config(PROJECT, "exchange")
    domain = config["fate-federation:exchange"]["domain"]
    config["fate-federation:exchange"]["parties"] = [
        {"static": {"partyId": 10000 + i, "pulsarTls": {"host": f"198.51.100.{1 + i % 250}", "port": 6651},
                    "nginx": {"host": f"198.51.100.{1 + i % 250}"}, "csrPem": csr(10000 + i, domain)}}
        for i in range(parties)
    ]
    return config


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def report(label: str, times: list[float], extra: str = "") -> None:
    print(f"{label:<34} median {statistics.median(times):7.2f} s   max {max(times):7.2f} s   "
          f"(n={len(times)}){extra}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("offline render, per stack (one run of the program each, mocks, fresh state):")
    for stack in stack_names(PROJECT):
        config, _ = stack_config(PROJECT, stack)
        runs: list = []
        times = timed(lambda: runs.append(run_program(PROJECT, stack, config)), args.repeat)
        report(f"  {stack}", times, f"   {len(runs[-1].k8s_objects())} objects")
    times = timed(lambda: render_stacks(PROJECT), args.repeat)
    report("  whole repository (bootstrap rounds)", times)
    print("exchange render by number of parties (static parties, each CSR checked and signed):")
    for parties in (2, 50, 200):
        config = exchange_config(parties)
        runs = []
        times = timed(lambda: runs.append(run_program(PROJECT, "exchange", config)), args.repeat)
        routed = sum(1 for p in runs[-1].outputs["parties"].values() if p["status"] == "routed")
        report(f"  {parties} parties", times, f"   {routed} routed")


if __name__ == "__main__":
    main()
