"""Offline render time of every stack, of the whole federation, and of the exchange for 2, 50 and 200
parties (or for an exchange config you give).

Runs the real program under the engine mocks (fedctl.mocks); certificates are really generated and
signed (cryptography), so the figures include the PKI work an exchange does per party. The parties
are static entries (no party stacks), each with its own real CSR; addresses are from 198.51.100.0/24
(TEST-NET-2, documentation addresses).

Usage: .venv/bin/python benchmarks/bench_render.py [--repeat N] [--parties 2 50 200]
       [--exchange-config FILE]   (YAML or JSON: the exchange stack's `config:` map, e.g. a generated one)
       [--write-exchange-config N FILE]   (write the generated config for N parties and exit)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from fedctl import tls_emulation  # noqa: E402
from fedctl.records import StackRun  # noqa: E402
from fedctl.runner import run_program  # noqa: E402
from fedctl.render import render_stacks  # noqa: E402
from fedctl.stackfiles import stack_config, stack_names  # noqa: E402

EXCHANGE_STACK = "exchange"
EXCHANGE_KEY = "fate-federation:exchange"
FIRST_PARTY_ID = 20000


def party_csr(party_id: int, domain: str) -> str:
    """A CSR as a party stack makes it (CN and SAN `<partyId>.<domain>`), with a key of its own."""
    key = tls_emulation.private_key({"algorithm": "RSA"})  # as components.federation_pki makes it
    name = f"{party_id}.{domain}"
    return tls_emulation.cert_request({"privateKeyPem": key["privateKeyPem"], "subject": {"commonName": name},
                                       "dnsNames": [name]})["certRequestPem"]


def generated_exchange_config(parties: int) -> dict[str, Any]:
    """The shipped exchange config with `parties` static parties instead of its party stacks."""
    config, _ = stack_config(PROJECT, EXCHANGE_STACK)
    domain = config[EXCHANGE_KEY]["domain"]
    config[EXCHANGE_KEY]["parties"] = [
        {"static": {"partyId": FIRST_PARTY_ID + i,
                    "pulsarTls": {"host": f"198.51.100.{1 + i % 254}", "port": 6651},
                    "nginx": {"host": f"198.51.100.{1 + i % 254}"},
                    "csrPem": party_csr(FIRST_PARTY_ID + i, domain)}}
        for i in range(parties)
    ]
    return config


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def report(label: str, times: list[float], extra: str = "") -> None:
    print(f"{label:<40} median {statistics.median(times):7.2f} s   max {max(times):7.2f} s   "
          f"(n={len(times)}){extra}")


def routed(run: StackRun) -> str:
    parties = run.outputs.get("parties") or {}
    return f"   {sum(1 for p in parties.values() if p.get('status') == 'routed')}/{len(parties)} routed, " \
           f"{len(run.k8s_objects())} objects"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parties", type=int, nargs="+", default=[2, 50, 200])
    parser.add_argument("--exchange-config", type=Path, help="time this exchange config instead of generated ones")
    parser.add_argument("--write-exchange-config", nargs=2, metavar=("N", "FILE"))
    args = parser.parse_args()
    if args.write_exchange_config:
        count, target = args.write_exchange_config
        Path(target).write_text(yaml.safe_dump({"config": generated_exchange_config(int(count))}, sort_keys=False))
        print(f"wrote the exchange config with {count} static parties to {target}")
        return
    stacks = stack_names(PROJECT)
    print(f"offline render, one run of the program per stack (fresh state, n={args.repeat}):")
    for stack in stacks:
        config, _ = stack_config(PROJECT, stack)
        times, run = timed(lambda: run_program(PROJECT, stack, config), args.repeat)
        report(f"  {stack}", times, f"   {len(run.k8s_objects())} objects")
    times, rendered = timed(lambda: render_stacks(PROJECT), args.repeat)
    report("  whole federation (bootstrap rounds)", times,
           f"   {max(r.rounds for r in rendered)} rounds over {len(rendered)} stacks")
    if EXCHANGE_STACK not in stacks:
        print(f"no {EXCHANGE_STACK} stack in this repository yet: the per-party figures need it")
        return
    if args.exchange_config:
        loaded = yaml.safe_load(args.exchange_config.read_text())
        config = loaded.get("config", loaded)
        times, run = timed(lambda: run_program(PROJECT, EXCHANGE_STACK, config), args.repeat)
        report(f"  exchange from {args.exchange_config.name}", times, routed(run))
        return
    print("exchange by number of parties (static parties, each CSR checked and signed):")
    for parties in args.parties:
        config = generated_exchange_config(parties)
        times, run = timed(lambda: run_program(PROJECT, EXCHANGE_STACK, config), args.repeat)
        report(f"  {parties} parties", times, routed(run))


if __name__ == "__main__":
    main()
