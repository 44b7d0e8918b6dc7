"""Loading a stack's config into specs: the only place that reads Pulumi config, secrets included.

`parse_settings` is pure (tests and the offline render call it with plain dicts); `load_settings` and
`load_secrets` read pulumi.Config. A bad value fails the run with the key as the user types it in
`pulumi config set --path` and the fix, before any resource is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError

from specs.common import KubernetesConfig
from specs.errors import CONFIG_NAMESPACE, config_error, config_key
from specs.exchange import ExchangeConfig
from specs.local import LocalConfig
from specs.party import ExchangeLink, PartyConfig
from specs.values import Model

ROLES = ("party", "exchange", "local")
SECTIONS = ("role", "kubernetes", "party", "exchange", "local")
KUBECONFIG_KEY = "kubeconfig"
EXTERNAL_MYSQL_PASSWORD_KEY = "externalMysqlPassword"


class StackSettings(BaseModel):
    """Everything one stack's config says, validated."""

    model_config = ConfigDict(frozen=True)

    role: Literal["party", "exchange", "local"]
    kubernetes: KubernetesConfig
    party: PartyConfig | None = None
    exchange_link: ExchangeLink | None = None
    exchange: ExchangeConfig | None = None
    local: LocalConfig | None = None


@dataclass(frozen=True)
class StackSecrets:
    """The stack's secret config values, as Pulumi secrets (never plain strings in the program)."""

    kubeconfig: pulumi.Output[str] | None = None
    external_mysql_password: pulumi.Output[str] | None = None


def _describe(error: Mapping[str, Any], key: str) -> str:
    path = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    full = config_key(key) + (f".{path}" if path else "")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key: check its spelling against docs/configuration.md, or remove it"
    elif error["type"] == "missing":
        message = f"required: set it with `pulumi config set --path '{key}.{path}' <value>`"
    elif error["type"] not in ("value_error", "assertion_error"):
        message += f" (fix: `pulumi config set --path '{key}{'.' + path if path else ''}' <value>`)"
    return f"{full}: {message}"


def _validate(model: type[Model], key: str, raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise config_error(*(_describe(e, key) for e in error.errors())) from None


def parse_settings(raw: Mapping[str, Any]) -> StackSettings:
    """Validate a stack's raw config (keys without the namespace) into StackSettings."""
    role = raw.get("role")
    if role not in ROLES:
        raise config_error(f"{config_key('role')}: {role!r} is not a role: set it to one of {', '.join(ROLES)} "
                           "(pulumi config set role party)")
    kubernetes = _validate(KubernetesConfig, "kubernetes", raw.get("kubernetes") or {})
    if role == "party":
        if raw.get("party") is None:
            raise config_error(f"{config_key('party')}: required for role party (at least party.partyId)")
        party = _validate(PartyConfig, "party", raw["party"])
        if raw.get("exchange") is None:
            raise config_error(
                f"{config_key('exchange')}: required for role party: set exchange.stack to the exchange stack "
                "(e.g. organization/fate-federation/exchange) or exchange.static to its addresses")
        link = _validate(ExchangeLink, "exchange", raw["exchange"])
        return StackSettings(role=role, kubernetes=kubernetes, party=party, exchange_link=link)
    if role == "exchange":
        exchange = _validate(ExchangeConfig, "exchange", raw.get("exchange") or {})
        return StackSettings(role=role, kubernetes=kubernetes, exchange=exchange)
    local = _validate(LocalConfig, "local", raw.get("local") or {})
    return StackSettings(role=role, kubernetes=kubernetes, local=local)


def load_settings() -> StackSettings:
    """Read and validate this stack's config through pulumi.Config (objects are JSON there)."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    raw: dict[str, Any] = {"role": config.get("role")}
    for section in SECTIONS[1:]:
        try:
            raw[section] = config.get_object(section)
        except Exception as error:  # pulumi raises on JSON that is not an object
            raise config_error(f"{config_key(section)}: {error}") from None
    return parse_settings(raw)


def load_secrets(settings: StackSettings) -> StackSecrets:
    """The secret config keys this stack's settings need; a missing one is a ConfigError with its fix."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    password = config.get_secret(EXTERNAL_MYSQL_PASSWORD_KEY)
    if settings.party is not None and settings.party.mysql.external is not None and password is None:
        raise config_error(
            f"{config_key(EXTERNAL_MYSQL_PASSWORD_KEY)}: required with party.mysql.external: "
            f"pulumi config set --secret {EXTERNAL_MYSQL_PASSWORD_KEY} <password>")
    return StackSecrets(kubeconfig=config.get_secret(KUBECONFIG_KEY), external_mysql_password=password)

