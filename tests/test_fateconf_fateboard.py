"""fateboard application.properties: the chart's keys, the login, and Java properties escaping."""

from __future__ import annotations

import pytest

from components.fateconf.fateboard import fateboard_application_properties

EXPECTED = (
    "server.port=8080\n"
    "fateflow.url=http://fateflow:9380\n"
    "fateflow.url-list=http://fateflow-0.fateflow:9380;http://fateflow-1.fateflow:9380\n"
    "fateflow.http_app_key=\n"
    "fateflow.http_secret_key=\n"
    "server.servlet.encoding.charset=UTF-8\n"
    "server.servlet.encoding.enabled=true\n"
    "server.tomcat.uri-encoding=UTF-8\n"
    "fateboard.front_end.cors=false\n"
    "fateboard.front_end.url=http://localhost:8028\n"
    "server.tomcat.max-threads=1000\n"
    "server.tomcat.max-connections=20000\n"
    "spring.servlet.multipart.max-file-size=10MB\n"
    "spring.servlet.multipart.max-request-size=100MB\n"
    "server.compression.enabled=true\n"
    "server.compression.mime-types=application/json,application/xml,text/html,text/xml,text/plain\n"
    "server.board.login.username=admin\n"
    "server.board.login.password=s3cret\n"
    "server.board.encrypt.private_key=\n"
    "server.board.encrypt.enable=false\n"
    "server.servlet.session.timeout=4h\n"
    "server.servlet.session.cookie.max-age=4h\n"
    "management.endpoints.web.exposure.exclude=*\n"
    "feign.client.config.default.connectTimeout=10000\n"
    "feign.client.config.default.readTimeout=10000\n"
)


def test_properties_follow_the_chart() -> None:
    assert fateboard_application_properties(
        fateflow_url="http://fateflow:9380", username="admin", password="s3cret",
        fateflow_urls=("http://fateflow-0.fateflow:9380", "http://fateflow-1.fateflow:9380")) == EXPECTED


def test_url_list_defaults_to_the_one_url() -> None:
    text = fateboard_application_properties(fateflow_url="http://fateflow:9380", username="a", password="b")
    assert "fateflow.url-list=http://fateflow:9380\n" in text


@pytest.mark.parametrize("password, written", [
    ("a\\b=c:d#e", "a\\\\b=c:d#e"),   # only backslashes need escaping in a value
    (" lead", "\\ lead"),              # a leading blank would be dropped by the Java parser
    ("pässwörd", "p\\u00e4ssw\\u00f6rd"),
])
def test_password_escaping(password: str, written: str) -> None:
    text = fateboard_application_properties(fateflow_url="http://f:9380", username="admin", password=password)
    assert f"server.board.login.password={written}\n" in text


@pytest.mark.parametrize("kwargs, message", [
    ({"fateflow_url": "fateflow:9380", "username": "a", "password": "b"}, "http:// or https://"),
    ({"fateflow_url": "http://f:1", "username": "a", "password": "b", "fateflow_urls": ("http://a;http://b",)},
     "one http"),
    ({"fateflow_url": "http://f:1", "username": "admin", "password": ""}, "username and password"),
    ({"fateflow_url": "http://f:1", "username": "admin", "password": "a\nb"}, "single line"),
])
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fateboard_application_properties(**kwargs)  # type: ignore[arg-type]
