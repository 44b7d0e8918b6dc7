"""The bad-input catalogue (docs/bad-input.md): every entry fails validation with its key and its fix.

Pure validation: no Pulumi engine, no mocks. That the program stops before registering any resource is
proven in tests/test_party_stack.py, which runs the real program on some of these inputs.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from facts.sizing import quantity_value
from specs.errors import ConfigError
from specs.loading import parse_settings

DOCS = Path(__file__).resolve().parent.parent / "docs" / "bad-input.md"


def party(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "role": "party",
        "kubernetes": {"context": "party-a"},
        "party": {"partyId": 9999},
        "exchange": {"stack": "organization/fate-federation/exchange"},
    }
    for path, value in overrides.items():
        node = raw
        keys = path.split("__")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if value is _DELETE:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return raw


_DELETE = object()

# id, raw config, the key the message must name, words of the fix the message must give
CATALOGUE: list[tuple[str, dict[str, Any], str, str]] = [
    ("party-id-missing", party(party__partyId=_DELETE), "fate-federation:party.partyId", "pulumi config set"),
    ("party-id-not-numeric", party(party__partyId="party-a"), "fate-federation:party.partyId", "number"),
    ("party-id-zero", party(party__partyId=0), "fate-federation:party.partyId", "range"),
    ("party-id-too-large", party(party__partyId=10**12), "fate-federation:party.partyId", "range"),
    ("party-id-boolean", party(party__partyId=True), "fate-federation:party.partyId", "numbers"),
    ("fate-version-unknown", party(party__fateVersion="2.9.9"), "fate-federation:party.fateVersion", "2.0.0"),
    ("nodeport-without-address", party(party__exposure={"type": "NodePort"}),
     "fate-federation:party.exposure", "nodeAddress"),
    ("exposure-type-unknown", party(party__exposure={"type": "Ingress"}),
     "fate-federation:party.exposure.type", "LoadBalancer"),
    ("spark-workers-zero", party(party__spark={"workers": 0}), "fate-federation:party.spark.workers", "1"),
    ("spark-pool-below-a-job", party(party__resources={"spark-worker": {"cpu": "1", "memory": "2Gi"}}),
     "fate-federation:party.spark.workers", "set spark.workers to 4"),
    ("hdfs-datanodes-negative", party(party__hdfs={"datanodes": -2}), "fate-federation:party.hdfs.datanodes", "1"),
    ("size-not-quantity", party(party__persistence={"sizes": {"mysql": "ten gigs"}}),
     "fate-federation:party.persistence.sizes.mysql", "Kubernetes quantity"),
    ("resources-not-quantity", party(party__resources={"fateflow": {"cpu": "four", "memory": "8Gi"}}),
     "fate-federation:party.resources.fateflow.cpu", "Kubernetes quantity"),
    ("production-volume-too-small", party(party__sizing="production", party__persistence={"sizes": {"mysql": "1Gi"}}),
     "fate-federation:party", "at least 5Gi"),
    ("production-worker-too-small",
     party(party__sizing="production", party__resources={"spark-worker": {"cpu": "4", "memory": "8Gi"}}),
     "fate-federation:party", "at least 8 CPU and 16Gi"),
    ("external-spark-without-address", party(party__spark={"external": {}}),
     "fate-federation:party.spark.external.master", "pulumi config set"),
    ("external-hdfs-without-address", party(party__hdfs={"external": {"nameNode": ""}}),
     "fate-federation:party.hdfs.external.nameNode", "hdfs://"),
    ("external-pulsar-without-address", party(party__pulsar={"external": {"port": 6650}}),
     "fate-federation:party.pulsar.external.host", "pulumi config set"),
    ("external-mysql-without-address", party(party__mysql={"external": {"user": "fate"}}),
     "fate-federation:party.mysql.external.host", "pulumi config set"),
    ("ingress-without-domain", party(party__ingress={"enabled": True}), "fate-federation:party.ingress", "domain"),
    ("ingress-domain-not-dns", party(party__ingress={"enabled": True, "domain": "Not A Domain"}),
     "fate-federation:party.ingress.domain", "DNS name"),
    ("namespace-not-dns-label", party(party__namespace="FATE_9999"), "fate-federation:party.namespace",
     "lower-case"),
    ("unknown-key", party(party__partyid=9999), "fate-federation:party.partyid", "spelling"),
    ("missing-exchange", party(exchange=_DELETE), "fate-federation:exchange", "exchange.stack"),
    ("exchange-both-sources", party(exchange={"stack": "organization/fate-federation/exchange",
                                              "static": {"domain": "fate.org",
                                                         "trafficServer": {"host": "x", "port": 443},
                                                         "nginx": {"host": "x"}}}),
     "fate-federation:exchange", "exactly one"),
    ("exchange-stack-not-qualified", party(exchange={"stack": "exchange"}), "fate-federation:exchange.stack",
     "organization/fate-federation/exchange"),
    ("role-unknown", party(role="tenant"), "fate-federation:role", "party, exchange, local"),
    ("jobs-without-endpoint", party(party__jobs=[{"name": "lr", "dagFile": "jobs/lr.yaml"}]),
     "fate-federation:party", "fateflowUrl"),
    ("job-names-repeated", party(party__fateflowUrl="http://127.0.0.1:9380",
                                 party__jobs=[{"name": "lr", "dagFile": "a.yaml"}, {"name": "lr", "dagFile": "b.yaml"}]),
     "fate-federation:party.jobs", "unique"),
    ("verification-without-peer", party(party__fateflowUrl="http://127.0.0.1:9380",
                                        party__verification={"enabled": True}),
     "fate-federation:party.verification", "peerPartyId"),
    ("kubefate-scoped-without-namespaces", party(party__kubefate={"enabled": True, "rbacScope": "namespaces"}),
     "fate-federation:party.kubefate", "namespaces"),
    ("kubefate-in-party-namespace", party(party__kubefate={"enabled": True, "namespace": "fate-9999"}),
     "fate-federation:party", "give KubeFATE its own"),
    ("exchange-domain-not-dns", {"role": "exchange", "exchange": {"domain": "fate_org"}},
     "fate-federation:exchange.domain", "DNS name"),
    ("exchange-static-party-twice", {"role": "exchange", "exchange": {"parties": [
        {"static": {"partyId": 9999, "pulsarTls": {"host": "a", "port": 6651}, "nginx": {"host": "a"}}},
        {"static": {"partyId": 9999, "pulsarTls": {"host": "b", "port": 6651}, "nginx": {"host": "b"}}},
    ]}}, "fate-federation:exchange", "unique"),
    ("exchange-static-party-is-exchange", {"role": "exchange", "exchange": {"partyId": 1, "parties": [
        {"static": {"partyId": 1, "pulsarTls": {"host": "a", "port": 6651}, "nginx": {"host": "a"}}},
    ]}}, "fate-federation:exchange", "exchange's own partyId"),
    ("exchange-static-party-without-address", {"role": "exchange", "exchange": {"parties": [
        {"static": {"partyId": 9999, "nginx": {"host": "a"}}},
    ]}}, "fate-federation:exchange.parties[0].static.pulsarTls", "pulumi config set"),
    ("exchange-stack-listed-twice", {"role": "exchange", "exchange": {"parties": [
        {"stack": "organization/fate-federation/party-a"}, {"stack": "organization/fate-federation/party-a"},
    ]}}, "fate-federation:exchange", "twice"),
    ("exchange-existing-pki-without-secret", {"role": "exchange", "exchange": {"pki": {"mode": "existing"}}},
     "fate-federation:exchange.pki", "existingSecret"),
    ("local-duplicate-party", {"role": "local", "local": {"parties": [{"partyId": 9999}, {"partyId": 9999}]}},
     "fate-federation:local", "unique"),
    ("local-single-party", {"role": "local", "local": {"parties": [{"partyId": 9999}]}},
     "fate-federation:local", "at least two parties"),
]


@pytest.mark.parametrize("case, raw, key, fix", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_names_key_and_fix(case: str, raw: dict[str, Any], key: str, fix: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings(copy.deepcopy(raw))
    message = str(error.value)
    assert key in message, message
    assert fix in message, message


def test_every_catalogue_entry_is_documented() -> None:
    from tests.test_bad_input_trial import TRIAL_IDS

    documented = re.findall(r"^\| `([a-z0-9-]+)` \|", DOCS.read_text(), flags=re.M)
    assert len(documented) == len(set(documented)), "a case is documented twice"
    assert set(documented) == {case for case, *_ in CATALOGUE} | TRIAL_IDS


def test_valid_party_defaults() -> None:
    settings = parse_settings(party())
    assert settings.party is not None
    assert settings.party.fate_version == "2.0.0"
    assert settings.party.resolved_namespace == "fate-9999"
    assert settings.party.persistence.retain_on_destroy is True
    assert settings.exchange_link is not None and settings.exchange_link.stack == "organization/fate-federation/exchange"


def test_all_errors_reported_at_once() -> None:
    raw = party(party__fateVersion="3.0", party__spark={"workers": 0})
    with pytest.raises(ConfigError) as error:
        parse_settings(raw)
    assert "party.fateVersion" in str(error.value) and "party.spark.workers" in str(error.value)


@pytest.mark.parametrize("quantity, value", [("500m", 0.5), ("2", 2.0), ("8Gi", 8 * 2**30), ("1.5G", 1.5e9)])
def test_quantities(quantity: str, value: float) -> None:
    assert quantity_value(quantity) == pytest.approx(value)
