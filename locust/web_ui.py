"""``WebUI`` (2.x): the dashboard of an :class:`~locust.env.Environment`.

``env.create_web_ui(host, port)`` returns one; ``web_ui.app`` is the
dashboard's application (add routes with ``@web_ui.app.route(...)``, Flask
spellings accepted), ``web_ui.greenlet.join()`` waits until ``stop()``.
The server itself is :func:`locust.web.start`.
"""

import argparse

from .engine import Event

__all__ = ["WebUI"]


class _ServerLife:
    """``web_ui.greenlet``: ``join(timeout=None)`` returns when the web UI has stopped."""

    def __init__(self):
        self._stopped = Event()

    @property
    def dead(self):
        """True once the web UI has stopped."""
        return self._stopped.is_set()

    def join(self, timeout=None):
        """Wait until the web UI has stopped (at most ``timeout`` s); True if it has."""
        return self._stopped.wait(timeout)


class WebUI:
    """The dashboard of ``environment``'s runner, on ``host:port`` (port 0: a free one).

    ``server`` is the running WSGI server once started (its
    ``server_port`` is the port), ``app`` the application, ``greenlet``
    what ``join()`` waits on. ``template_args`` and ``auth_args`` exist
    for 2.x locustfiles that set them; the dashboard does not use them.
    """

    def __init__(self, environment, host="", port=8089, class_picker=False, web_auth=None):
        from . import web  # bottle: imported only when a web UI is made
        self.environment = environment
        self.host = host
        self.port = port
        self.app = web.app
        self.server = None
        self.greenlet = _ServerLife()
        self.template_args = {}
        self.auth_args = {}
        self._class_picker = class_picker
        self._web_auth = web_auth

    @classmethod
    def serving(cls, environment, server, options):
        """The WebUI of a server the command line started already."""
        web_ui = cls(environment, getattr(options, "web_host", ""), server.server_port,
                     class_picker=getattr(options, "class_picker", False))
        web_ui.server = server
        return web_ui

    def start(self):
        """Start serving. Raises ValueError without a runner, OSError when the address is taken."""
        from . import web
        runner = self.environment.runner
        if runner is None:
            raise ValueError("create the runner (env.create_local_runner()) before the web UI")
        options = argparse.Namespace(web_host=self.host, web_port=self.port,
                                     web_auth=self._web_auth, class_picker=self._class_picker)
        self.server = web.start(runner, options)
        self.port = self.server.server_port

    def stop(self):
        """Stop serving; ``greenlet.join()`` returns."""
        if self.server is not None:
            self.server.stop(timeout=1)
        self.greenlet._stopped.set()
