"""fateboard's application.properties. It holds the login password, so it is mounted from a Secret.

The keys are those KubeFATE's chart writes for fateboard 1.11.2 and 2.0.0 (identical in both);
fateboard is a Spring Boot application that reads them at start.
"""

from __future__ import annotations

from collections.abc import Sequence

from facts import ports


def _escape(value: str, key: str) -> str:
    """A Java properties value: backslashes doubled, leading blanks kept, non-ASCII as \\uXXXX."""
    if any(c in value for c in "\r\n"):
        raise ValueError(f"fateboard {key} must be a single line")
    out = value.replace("\\", "\\\\")
    out = "".join(c if 0x20 <= ord(c) < 0x7F else f"\\u{ord(c):04x}" for c in out)
    if out[:1] in (" ", "\t"):
        out = "\\" + out
    return out


def fateboard_application_properties(*, fateflow_url: str, username: str, password: str,
                                     fateflow_urls: Sequence[str] = ()) -> str:
    """`fateflow_urls` are the FATE Flow instances fateboard queries (default: just `fateflow_url`)."""
    for url in (fateflow_url, *fateflow_urls):
        if not url.startswith(("http://", "https://")) or any(c.isspace() or c == ";" for c in url):
            raise ValueError(f"fateflow url {url!r} must be one http:// or https:// URL (e.g. http://fateflow:9380)")
    if not username or not password:
        raise ValueError("fateboard needs a login username and password (fateboard.username / fateboard.password)")
    settings = [
        ("server.port", str(ports.FATEBOARD_HTTP)),
        ("fateflow.url", fateflow_url),
        ("fateflow.url-list", ";".join(fateflow_urls or (fateflow_url,))),
        ("fateflow.http_app_key", ""),
        ("fateflow.http_secret_key", ""),
        ("server.servlet.encoding.charset", "UTF-8"),
        ("server.servlet.encoding.enabled", "true"),
        ("server.tomcat.uri-encoding", "UTF-8"),
        ("fateboard.front_end.cors", "false"),
        ("fateboard.front_end.url", "http://localhost:8028"),
        ("server.tomcat.max-threads", "1000"),
        ("server.tomcat.max-connections", "20000"),
        ("spring.servlet.multipart.max-file-size", "10MB"),
        ("spring.servlet.multipart.max-request-size", "100MB"),
        ("server.compression.enabled", "true"),
        ("server.compression.mime-types", "application/json,application/xml,text/html,text/xml,text/plain"),
        ("server.board.login.username", _escape(username, "username")),
        ("server.board.login.password", _escape(password, "password")),
        ("server.board.encrypt.private_key", ""),
        ("server.board.encrypt.enable", "false"),
        ("server.servlet.session.timeout", "4h"),
        ("server.servlet.session.cookie.max-age", "4h"),
        ("management.endpoints.web.exposure.exclude", "*"),
        ("feign.client.config.default.connectTimeout", "10000"),
        ("feign.client.config.default.readTimeout", "10000"),
    ]
    return "".join(f"{key}={value}\n" for key, value in settings)
