"""The dashboard's application object: bottle, with the Flask route spellings.

Locust's documentation (0.7 and 2.x) shows the web UI's ``app`` as a Flask
application, so locustfiles add pages like this::

    @web.app.route("/items/<int:item_id>", methods=["GET", "POST"])
    def item(item_id):
        return {"id": item_id}

:class:`App` is a ``bottle.Bottle`` that accepts that: ``methods=`` (a list
of verbs), ``endpoint=`` (the route's name), Flask's converters ``<int:x>``,
``<float:x>``, ``<path:x>``, ``<string:x>`` and ``<x>`` (bottle's own
``<x:int>`` spellings keep working), ``add_url_rule()``, and a view that
returns ``(body, status)``, ``(body, status, headers)`` or ``(body,
headers)`` as Flask allows. What cannot be mapped (another converter, a
converter with arguments, an unknown option) raises :class:`RouteError`
with one line that says what, when the route is declared.
"""

import re

import bottle

from .exception import LocustError

__all__ = ["App", "RouteError", "flask_rule"]

_FLASK_TO_BOTTLE = {"int": ":int", "float": ":float", "path": ":path", "string": ""}
_BOTTLE_FILTERS = ("int", "float", "path", "re")
_WILDCARD = re.compile(r"<([^<>]*)>")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Flask route options with a meaning here; others raise RouteError.
_IGNORED_OPTIONS = ("strict_slashes", "provide_automatic_options")


class RouteError(LocustError):
    """A Flask-style route that cannot be served by the dashboard's app."""


def flask_rule(rule):
    """Translate Flask's ``<converter:name>`` wildcards in ``rule`` to bottle's.

    Bottle's own ``<name:filter>`` wildcards pass unchanged. Raises
    RouteError for a converter that has no bottle equivalent.
    """
    def translate(match):
        body = match.group(1)
        if ":" not in body:
            return match.group(0)
        head, _, tail = body.partition(":")
        if _NAME.match(head) and head not in _FLASK_TO_BOTTLE and tail.split(":", 1)[0] in _BOTTLE_FILTERS:
            return match.group(0)  # bottle: <name:filter> or <name:re:pattern>
        converter = head.split("(", 1)[0].strip()
        if converter in _FLASK_TO_BOTTLE and "(" not in head and _NAME.match(tail):
            return "<%s%s>" % (tail, _FLASK_TO_BOTTLE[converter])
        if converter in _FLASK_TO_BOTTLE:
            raise RouteError("route %r: the converter arguments in <%s> are not supported "
                             "(write <%s:%s>)" % (rule, body, converter, tail))
        raise RouteError("route %r: the converter %r in <%s> is not supported (use int, float, "
                         "path or string, or a plain <name>)" % (rule, converter, body))
    return _WILDCARD.sub(translate, rule)


def _flask_return(view):
    # Flask lets a view return (body, status), (body, status, headers) or
    # (body, headers); bottle would send a tuple as the body's parts.
    def wrapper(*args, **kwargs):
        result = view(*args, **kwargs)
        if not isinstance(result, tuple) or not 2 <= len(result) <= 3:
            return result
        body, rest = result[0], result[1:]
        if isinstance(rest[0], (int, str)):
            bottle.response.status = rest[0]
            rest = rest[1:]
        for headers in rest:
            items = headers.items() if hasattr(headers, "items") else headers
            for key, value in items:
                bottle.response.set_header(key, value)
        return body
    wrapper.__name__ = getattr(view, "__name__", "view")
    wrapper.__doc__ = getattr(view, "__doc__", None)
    wrapper.__wrapped__ = view
    return wrapper


class App(bottle.Bottle):
    """A bottle application that also takes Flask's route spellings (see the module docstring)."""

    def route(self, path=None, method="GET", callback=None, name=None, apply=None, skip=None,
              methods=None, endpoint=None, **config):
        """Add a route; bottle's arguments, plus Flask's ``methods`` and ``endpoint``.

        Raises RouteError for a rule or an option that cannot be mapped.
        """
        unknown = sorted(k for k in config if k in ("defaults", "host", "subdomain", "redirect_to",
                                                    "websocket", "merge_slashes"))
        if unknown:
            raise RouteError("route %r: the Flask option %s is not supported"
                             % (path, ", ".join(unknown)))
        for key in _IGNORED_OPTIONS:
            config.pop(key, None)
        if methods is not None:
            method = [m.upper() for m in ([methods] if isinstance(methods, str) else methods)]
        if endpoint is not None and name is None:
            name = endpoint
        if isinstance(path, str):
            path = flask_rule(path)
        elif isinstance(path, (list, tuple)):
            path = [flask_rule(p) for p in path]
        register = super().route

        def decorator(view):
            rules = path if path is not None else list(bottle.yieldroutes(view))
            register(rules, method, _flask_return(view), name, apply, skip, **config)
            return view
        if callable(path):  # @app.route without a rule: bottle derives it
            view, path = path, None
            return decorator(view)
        return decorator(callback) if callback is not None else decorator

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        """Flask's ``add_url_rule``: route ``rule`` to ``view_func``."""
        if view_func is None:
            raise RouteError("add_url_rule(%r) needs a view_func" % (rule,))
        self.route(rule, endpoint=endpoint, **options)(view_func)
