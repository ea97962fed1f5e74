"""Database URLs as settings: recognising a PostgreSQL one, and never showing its password.

Kept free of any driver import so that reading settings does not load asyncpg.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")
REDACTED = "***"


def is_postgres_url(url: str) -> bool:
    scheme, separator, _ = url.partition("://")
    return bool(separator) and scheme.lower() in POSTGRES_SCHEMES


def redact_url(url: str) -> str:
    """The URL with any password (``user:PASSWORD@`` or ``?password=``) replaced by ``***``.

    Used for every repr, log line and error message that names the database.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        # Not parseable, so we cannot tell where a password would be: show only the scheme.
        scheme = url.partition("://")[0] if "://" in url else "database"
        return f"{scheme}://{REDACTED}"
    netloc, query = parts.netloc, parts.query
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:{REDACTED}@{hosts}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key == "password" for key, _ in pairs):
        query = urlencode([(key, REDACTED if key == "password" else value) for key, value in pairs], safe="*/")
    if (netloc, query) == (parts.netloc, parts.query):
        # Nothing to hide; rebuilding would also drop the empty host of postgresql:///db.
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_password(url: str) -> str | None:
    """The password the URL carries, if any, so that error text from a driver can be scrubbed of it."""
    try:
        parts = urlsplit(url)
        from_query = dict(parse_qsl(parts.query)).get("password")
        return parts.password or from_query or None
    except ValueError:
        return None
