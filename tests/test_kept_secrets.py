"""A party re-created over its kept namespace takes back the MySQL passwords its kept data directory knows.

The pure parts (what a live Secret must carry to be taken; FateCluster fed with kept values) run under the
SDK's mocks, which never read a cluster. The read itself against a real API server, and the restore
through the real engine, are in tests/test_engine_repository_stacks.py (destroy and restore).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from components.fate_cluster import FateCluster, FateClusterArgs
from facts.names import MYSQL_CREDENTIALS_SECRET
from fedctl.records import StackRun
from fedctl.wire import is_secret
from specs.common import KubernetesConfig
from specs.errors import ConfigError
from specs.party import PartyConfig
from stacks.kept_secrets import KeptSecret, kept_values, party_kept_secret, read_kept_values
from tests.support.pulumi_harness import run_component

PARTY = PartyConfig.model_validate({"partyId": 9999, "persistence": {"enabled": True, "retainOnDestroy": True}})
WANTED = party_kept_secret(PARTY)
KEPT = {"MYSQL_PASSWORD": "kept-user-password-123", "MYSQL_ROOT_PASSWORD": "kept-root-password-456"}


def live_secret(values: dict[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Secret as the API server returns it (`kubectl get -o json`): values in base64 `data`."""
    default = {"app.kubernetes.io/part-of": "fate-federation", "app.kubernetes.io/instance": "party-9999"}
    return {"metadata": {"name": MYSQL_CREDENTIALS_SECRET, "namespace": "fate-9999",
                         "labels": default if labels is None else labels},
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}}


def test_the_party_s_mysql_credentials_are_what_it_takes_back() -> None:
    assert WANTED == KeptSecret("fate-9999", "mysql-credentials", "party-9999",
                                ("MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD"), "fate-federation:party.namespace")
    external = PartyConfig.model_validate({"partyId": 9999, "mysql": {"external": {"host": "db"}}})
    assert party_kept_secret(external) is None  # its password is the stack's secret config


def test_a_kept_secret_of_this_party_gives_its_values_and_none_is_nothing() -> None:
    assert WANTED is not None
    assert kept_values(WANTED, None, "context a") is None
    assert kept_values(WANTED, live_secret(KEPT), "context a") == KEPT


@pytest.mark.parametrize("labels, owner", [
    ({}, "<none>"),
    ({"app.kubernetes.io/part-of": "fate-federation", "app.kubernetes.io/instance": "party-10000"}, "party-10000"),
])
def test_a_secret_not_made_for_this_party_is_refused_with_the_fix(labels: dict[str, str], owner: str) -> None:
    assert WANTED is not None
    with pytest.raises(ConfigError) as error:
        kept_values(WANTED, live_secret(KEPT, labels), "context a")
    message = str(error.value)
    assert "\n  fate-federation:party.namespace: the Secret fate-9999/mysql-credentials in context a was not made" in message
    assert f"app.kubernetes.io/instance={owner}" in message
    assert ("kubectl label secret mysql-credentials -n fate-9999 app.kubernetes.io/part-of=fate-federation "
            "app.kubernetes.io/instance=party-9999") in message
    assert "kubectl delete secret mysql-credentials -n fate-9999" in message
    assert not any(value in message for value in KEPT.values())


@pytest.mark.parametrize("data", [
    {"MYSQL_PASSWORD": base64.b64encode(b"only-the-user").decode()},
    {"MYSQL_PASSWORD": "not base64!", "MYSQL_ROOT_PASSWORD": base64.b64encode(b"root").decode()},
    {"MYSQL_PASSWORD": "", "MYSQL_ROOT_PASSWORD": base64.b64encode(b"root").decode()},
])
def test_a_kept_secret_without_a_usable_password_is_refused(data: dict[str, str]) -> None:
    assert WANTED is not None
    live = {**live_secret({}), "data": data}
    with pytest.raises(ConfigError, match=r"party.namespace: the Secret fate-9999/mysql-credentials .* has no usable "
                                          r"MYSQL_(ROOT_)?PASSWORD"):
        kept_values(WANTED, live, "context a")


def test_an_unreadable_cluster_is_warned_about_and_nothing_is_taken(tmp_path: Any) -> None:
    """No kubeconfig where the stack says: the provider then fails in its own words; nothing is kept."""
    assert WANTED is not None
    config = KubernetesConfig.model_validate({"kubeconfigPath": str(tmp_path / "absent")})
    assert read_kept_values(WANTED, config) is None


def mysql_run(kept: dict[str, str] | None, persistence: dict[str, Any]) -> StackRun:
    party = PartyConfig.model_validate({"partyId": 9999, "persistence": persistence})
    return run_component(lambda: FateCluster("party", FateClusterArgs(party=party, kept_mysql_credentials=kept))
                         and None)


def secret_record(run: StackRun) -> Any:
    return next(r for r in run.resources if r.is_kubernetes_object and r.typ.endswith(":Secret")
                and r.name.endswith(f"-{MYSQL_CREDENTIALS_SECRET}"))


def test_kept_credentials_feed_mysql_and_fateflow_and_the_live_secret_is_adopted() -> None:
    run = mysql_run(KEPT, {"enabled": True, "retainOnDestroy": True})
    secret = run.k8s_object("Secret", MYSQL_CREDENTIALS_SECRET)
    assert {key: base64.b64decode(value).decode() for key, value in secret["data"].items()} == KEPT
    assert "stringData" not in secret  # the form the API server returns: the import matches the live object
    record = secret_record(run)
    assert record.import_id == "fate-9999/mysql-credentials" and record.retain_on_delete
    conf = run.k8s_object("Secret", "fateflow-service-conf")["stringData"]["service_conf.yaml"]
    assert "passwd: kept-user-password-123" in conf


def test_without_kept_credentials_the_passwords_are_generated_and_nothing_is_adopted() -> None:
    run = mysql_run(None, {"enabled": True, "retainOnDestroy": True})
    values = {key: base64.b64decode(value).decode()
              for key, value in run.k8s_object("Secret", MYSQL_CREDENTIALS_SECRET)["data"].items()}
    assert set(values) == set(KEPT) and all(len(value) == 24 for value in values.values())
    assert not set(values.values()) & set(KEPT.values())
    record = secret_record(run)
    assert record.import_id is None and record.retain_on_delete  # kept with the volumes on destroy


def test_without_retained_volumes_the_secret_goes_with_the_stack() -> None:
    run = mysql_run(None, {"enabled": True, "retainOnDestroy": False})
    assert not secret_record(run).retain_on_delete
    assert not next(r for r in run.resources if r.typ.endswith(":Namespace")).retain_on_delete


def test_the_kept_passwords_stay_secret_in_the_state() -> None:
    run = mysql_run(KEPT, {"enabled": True, "retainOnDestroy": True})
    secrets = [r for r in run.resources if r.is_kubernetes_object and r.typ.endswith(":Secret")]
    assert {r.name.rsplit("-", 1)[-1] for r in secrets} >= {"credentials", "conf"}
    for record in secrets:
        values = record.inputs.get("data", record.inputs.get("stringData"))
        assert is_secret(values), record.name  # stored encrypted by the engine, shown as [secret]
