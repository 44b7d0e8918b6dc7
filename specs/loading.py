"""Loading a stack's config into specs: the only place that reads Pulumi config, secrets included.

`parse_settings` is pure (tests and the offline render call it with plain dicts); `load_settings` and
`load_secrets` read pulumi.Config. A bad value fails the run with the key as the user types it in
`pulumi config set --path` and the fix, before any resource is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ConfigDict, ValidationError

from specs.common import Exposure, KubernetesConfig, kubeconfig_problem
from specs.errors import CONFIG_NAMESPACE, config_error, config_key
from specs.exchange import ExchangeConfig
from specs.local import LocalConfig
from specs.party import ExchangeLink, PartyConfig
from specs.values import Model

ROLES = ("party", "exchange", "local")
SECTIONS = ("role", "kubernetes", "party", "exchange", "local")
KUBECONFIG_KEY = "kubeconfig"
EXTERNAL_MYSQL_PASSWORD_KEY = "externalMysqlPassword"
SECRET_KEYS = (KUBECONFIG_KEY, EXTERNAL_MYSQL_PASSWORD_KEY)


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


def _path(loc: tuple[Any, ...]) -> str:
    """A pydantic location as `pulumi config set --path` writes it: `parties[0].static`, dict keys as keys."""
    path = ""
    for part in loc:
        text = str(part)
        if text.startswith("function-") or text == "[key]":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{text}" if path else text)
    return path


def _model_keys(class_name: str) -> str:
    """The keys of one of our models, as the user writes them (for "give an object with ...")."""
    pending: list[type[Model]] = [Model]
    while pending:
        model = pending.pop()
        if model.__name__ == class_name:
            return ", ".join(field.alias or name for name, field in model.model_fields.items())
        pending.extend(model.__subclasses__())
    return "its keys"


def _plain_message(error: Mapping[str, Any]) -> str | None:
    """Pydantic's message for the common types, in the user's words (no Python type or class names)."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "literal_error":
        return f"{value!r} is not one of {ctx.get('expected')}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        keys = _model_keys(ctx["class_name"]) if "class_name" in ctx else "its keys"
        return f"{value!r} is not an object: give it as keys and values ({keys})"
    if kind == "string_type":
        return f"{value!r} is not text: write it in quotes"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{value!r} is not a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return f"{value!r} is not true or false"
    if kind == "list_type":
        return f"{value!r} is not a list"
    if kind == "greater_than_equal":
        return f"{value!r} is too small: at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"{value!r} is too large: at most {ctx.get('le')}"
    return None


def _describe(error: Mapping[str, Any], key: str) -> str:
    path = _path(error["loc"])
    where = key + (path if path.startswith("[") or not path else f".{path}")
    full = config_key(where)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key: check its spelling against docs/configuration.md, or remove it"
    elif error["type"] == "missing":
        message = f"required: set it with `pulumi config set --path '{where}' <value>`"
    elif error["type"] not in ("value_error", "assertion_error"):
        message = (_plain_message(error) or message) + f" (fix: `pulumi config set --path '{where}' <value>`)"
    return f"{full}: {message}"


def _validate(model: type[Model], key: str, raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise config_error(*(_describe(e, key) for e in error.errors())) from None


def _cluster_ip_problem(exposure: Exposure, key: str) -> list[str]:
    if exposure.type != "ClusterIP":
        return []
    return [f"{config_key(key + '.exposure.type')}: ClusterIP is reached only from inside this stack's own "
            "cluster, and the other stacks of a federation (exchange, parties) run in their own clusters: use "
            "LoadBalancer, or NodePort with nodeAddress; for a whole federation in one cluster use the local stack "
            "(role: local)"]


def parse_settings(raw: Mapping[str, Any]) -> StackSettings:
    """Validate a stack's raw config (keys without the namespace) into StackSettings."""
    unknown = sorted(set(raw) - set(SECTIONS) - set(SECRET_KEYS))
    if unknown:
        raise config_error(*(f"{config_key(key)}: unknown key: check its spelling against docs/configuration.md "
                             f"(the keys are {', '.join(SECTIONS + SECRET_KEYS)}), or remove it "
                             f"(pulumi config rm {key})" for key in unknown))
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
        _refuse(party.problems("party") + _cluster_ip_problem(party.exposure, "party"))
        return StackSettings(role=role, kubernetes=kubernetes, party=party, exchange_link=link)
    if role == "exchange":
        exchange = _validate(ExchangeConfig, "exchange", raw.get("exchange") or {})
        _refuse(exchange.problems("exchange") + _cluster_ip_problem(exchange.exposure, "exchange"))
        return StackSettings(role=role, kubernetes=kubernetes, exchange=exchange)
    local = _validate(LocalConfig, "local", raw.get("local") or {})
    _refuse(local.problems("local"))
    return StackSettings(role=role, kubernetes=kubernetes, local=local)


def _refuse(problems: list[str]) -> None:
    if problems:
        raise config_error(*problems)


def _config_keys() -> set[str]:
    """Every key of this stack's config in our namespace, without the prefix (set by the engine or the
    mocks, or passed in PULUMI_CONFIG by the language host)."""
    prefix = f"{CONFIG_NAMESPACE}:"
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {key.removeprefix(prefix) for key in keys if key.startswith(prefix)}


def load_settings() -> StackSettings:
    """Read and validate this stack's config through pulumi.Config (objects are JSON there)."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    raw: dict[str, Any] = {"role": config.get("role")}
    for section in SECTIONS[1:]:
        try:
            raw[section] = config.get_object(section)
        except Exception as error:  # pulumi raises on JSON that is not an object
            raise config_error(f"{config_key(section)}: {error}") from None
    raw.update({key: None for key in _config_keys() - set(raw)})
    return parse_settings(raw)


def _plain_secret_problems() -> list[str]:
    """Secret keys held in plain text in the stack file (readable by anyone who reads the repository)."""
    problems = []
    for key, example in ((KUBECONFIG_KEY, '"$(cat kubeconfig.yaml)"'), (EXTERNAL_MYSQL_PASSWORD_KEY, "<password>")):
        full = config_key(key)
        if runtime_config.get_config(full) is not None and not runtime_config.is_config_secret(full):
            problems.append(f"{full}: held in plain text in the stack file: store it encrypted with "
                            f"`pulumi config set --secret {key} {example}` (and change it if the file was shared)")
    return problems


def _secret_value_problems() -> list[str]:
    """Secret values FATE cannot take; messages never quote them."""
    password = runtime_config.get_config(config_key(EXTERNAL_MYSQL_PASSWORD_KEY))
    if isinstance(password, str) and ("\n" in password or "\r" in password or not password):
        return [f"{config_key(EXTERNAL_MYSQL_PASSWORD_KEY)}: the password is empty or spans more than one line "
                "(FATE Flow's service_conf.yaml holds it on one line): set it again with "
                f"`pulumi config set --secret {EXTERNAL_MYSQL_PASSWORD_KEY} <password>`"]
    return []


def _kubeconfig_problems(settings: StackSettings) -> list[str]:
    """A kubeconfig (secret, or a file) that cannot be read as one; messages never quote its content."""
    problems = []
    text = runtime_config.get_config(config_key(KUBECONFIG_KEY))
    if text is not None:
        problem = kubeconfig_problem(text)
        if problem:
            problems.append(f"{config_key(KUBECONFIG_KEY)}: {problem}: set it again with "
                            f"`pulumi config set --secret {KUBECONFIG_KEY} \"$(cat kubeconfig.yaml)\"`")
    path = settings.kubernetes.kubeconfig_path
    if path is not None:
        key = config_key("kubernetes.kubeconfigPath")
        try:
            problem = kubeconfig_problem(Path(path).expanduser().read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            problem = f"cannot read {path}: {getattr(error, 'strerror', None) or error}"
        if problem:
            problems.append(f"{key}: {problem}: give the path of a readable kubeconfig file "
                            "(`pulumi config set --path kubernetes.kubeconfigPath ~/.kube/config`)")
    return problems


def load_secrets(settings: StackSettings) -> StackSecrets:
    """The secret config keys this stack's settings need, checked: held encrypted, a kubeconfig that reads
    as one, present where needed. Any problem is a ConfigError with its fix."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    _refuse(_plain_secret_problems() + _secret_value_problems() + _kubeconfig_problems(settings))
    password = config.get_secret(EXTERNAL_MYSQL_PASSWORD_KEY)
    if settings.party is not None and settings.party.mysql.external is not None and password is None:
        raise config_error(
            f"{config_key(EXTERNAL_MYSQL_PASSWORD_KEY)}: required with party.mysql.external: "
            f"pulumi config set --secret {EXTERNAL_MYSQL_PASSWORD_KEY} <password>")
    return StackSecrets(kubeconfig=config.get_secret(KUBECONFIG_KEY), external_mysql_password=password)
