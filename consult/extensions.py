"""Extension singletons, bound to an app in ``create_app``."""

from ipaddress import ip_address

from flask import request
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


def client_address() -> str:
    """The client address rate limits count by: the peer's, or, behind ``PROXY_HOPS`` trusted
    proxies, the one the nearest of them reported (werkzeug's ProxyFix already took it from
    ``X-Forwarded-For``, ignoring what the client itself put there).

    A value that is not an IP address (only a misconfigured proxy, or a client reaching the
    app past the proxy, sends one) is not trusted: the connection's own peer counts instead,
    so made-up values cannot give a client a fresh limit each time.
    """
    address = (request.remote_addr or "").strip()
    try:
        return str(ip_address(address))
    except ValueError:
        original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
        return original or "unknown"


login_manager = LoginManager()
htmx = HTMX()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=client_address, default_limits=[])
