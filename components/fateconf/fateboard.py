"""fateboard's application.properties. It holds the login password, so it is mounted from a Secret."""

from __future__ import annotations

from components.fateconf import ports


def fateboard_application_properties(*, fateflow_url: str, username: str, password: str,
                                     fateflow_urls: tuple[str, ...] = ()) -> str:
    if not fateflow_url.startswith(("http://", "https://")):
        raise ValueError(f"fateflow url {fateflow_url!r} must start with http:// or https://")
    if not username or not password:
        raise ValueError("fateboard needs a login username and password")
    settings = [
        ("server.port", str(ports.FATEBOARD_HTTP)),
        ("fateflow.url", fateflow_url),
        ("fateflow.url-list", ";".join(fateflow_urls or (fateflow_url,))),
        ("server.board.login.username", username),
        ("server.board.login.password", password),
        ("server.tomcat.max-threads", "1000"),
        ("server.tomcat.max-connections", "20000"),
        ("spring.servlet.multipart.max-file-size", "10MB"),
        ("spring.servlet.multipart.max-request-size", "100MB"),
        ("server.servlet.session.timeout", "4h"),
        ("server.servlet.session.cookie.max-age", "4h"),
        ("management.endpoints.web.exposure.exclude", "*"),
    ]
    return "".join(f"{key}={value}\n" for key, value in settings)
