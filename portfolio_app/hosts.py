"""The Host names the app answers for (TRUSTED_HOSTS); unset, the loopback names only.

The check is ours, not Flask 3.1's own use of app.config["TRUSTED_HOSTS"] (switched off in
wrappers.py), for three reasons SPEC 11 needs:
- Werkzeug cuts every trusted name at its first colon to drop a port, so "[::1]" becomes
  "[" and no IPv6 address can ever be trusted; the loopback default includes "[::1]".
- Flask checks while it binds the URL map, and an untrusted host leaves the request with no
  URL adapter: the HTML 400 page, whose links are built with url_for, could not render.
- /healthz and /readyz answer whatever the Host (probes name the server by its address),
  and Flask's check runs before any route is known.
"""

from flask import current_app, request

from .errors import APIError

# Django's development default: localhost and its subdomains, and the loopback addresses.
LOOPBACK_HOSTS = (".localhost", "127.0.0.1", "[::1]")
# Endpoints that answer whatever the Host: the probes (SPEC 11), and /metrics, which is
# answered by client address (METRICS_ALLOW) and builds no URL.
ANY_HOST_ENDPOINTS = {"health.healthz", "health.readyz", "metrics.metrics"}
INVALID_HOST = "Invalid host header."


def register(app):
    """Refuse requests whose Host is not one the deployment serves."""
    app.before_request(refuse_untrusted_host)


def trusted_hosts(config):
    """Return the host patterns of this deployment: TRUSTED_HOSTS, else the loopback names."""
    return config["TRUSTED_HOSTS"] or LOOPBACK_HOSTS


def refuse_untrusted_host():
    """Answer 400 when the Host (or a trusted proxy's X-Forwarded-Host) is not served here."""
    if request.endpoint in ANY_HOST_ENDPOINTS:
        return
    # Werkzeug reads a Host with characters no host can have as "", which would otherwise
    # put "http:///..." into next/previous and media URLs.
    if not request.host or not host_is_trusted(request.host, trusted_hosts(current_app.config)):
        raise APIError.detail(400, INVALID_HOST)


def host_is_trusted(host, patterns):
    """Tell whether host ("name" or "name:port") matches a pattern.

    A pattern is a name ("links.example.com", "127.0.0.1", "[::1]"), a name after a dot
    for that domain and its subdomains (".example.com"), or "*" for any. Case, a port and
    a trailing dot are ignored, as Django's ALLOWED_HOSTS does.
    """
    name = host_name(host)
    for pattern in patterns:
        if pattern == "*":
            return True
        domain = pattern.startswith(".")
        pattern = host_name(pattern.removeprefix("."))
        if name == pattern or (domain and name.endswith("." + pattern)):
            return True
    return False


def host_name(host):
    """Return host without its port or trailing dot, in lower case: "[::1]", "example.com"."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 address: its colons are not a port's
        return host.partition("]")[0] + "]"
    return host.partition(":")[0].removesuffix(".")
