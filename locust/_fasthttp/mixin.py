"""The settings of a user whose ``client`` is a FastHttpSession, as class attributes.

Light on purpose: the 2.x ``FastHttpUser`` (``locust.user.users``) and the
0.7-style ``FastHttpLocust`` (``locust.contrib.fasthttp``) both derive from
:class:`FastHttpMixin`, and importing ``locust`` must not import the client;
the session's modules are imported when the first such user is created.
"""

__all__ = ["FastHttpMixin"]

class FastHttpMixin:
    """The class attributes and helpers of a user whose ``client`` is a FastHttpSession.

    Shared by :class:`FastHttpLocust` (0.7 style) and the 2.x
    ``FastHttpUser``: set the attributes in a subclass before the user is
    created; :meth:`_new_fast_client` makes the session from them.
    """

    #: Seconds each read or write may wait.
    network_timeout = 60.0
    #: Seconds connecting (TLS handshake included) may take.
    connection_timeout = 60.0
    #: Redirects followed before a TooManyRedirects failure.
    max_redirects = 30
    #: Times a request that failed for network reasons is sent again.
    max_retries = 0
    #: True: do not verify TLS certificates (upstream's default).
    insecure = True
    #: Headers added to every request.
    default_headers = None
    #: Connections busy at once (for greenlets a user spawns itself).
    concurrency = 10
    #: A ConnectionPool shared by every user of the class (None: one per user).
    client_pool = None
    #: A callable returning the ssl.SSLContext to use.
    ssl_context_factory = None
    #: An HTTP proxy for every request (HTTPS through CONNECT).
    proxy_host = None
    proxy_port = None

    def _new_fast_client(self):
        """A FastHttpSession on ``self.host`` with the class's settings."""
        from .session import FastHttpSession  # when a user is made: `import locust` stays light
        return FastHttpSession(
            self.host, user=self, insecure=self.insecure, client_pool=self.client_pool,
            ssl_context_factory=self.ssl_context_factory, network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout, max_redirects=self.max_redirects,
            max_retries=self.max_retries, concurrency=self.concurrency,
            headers=self.default_headers, proxy_host=self.proxy_host,
            proxy_port=self.proxy_port)

    def rest(self, method, url, headers=None, **kwargs):
        """``self.client.rest(...)``: a JSON request checked in a ``with`` block."""
        return self.client.rest(method, url, headers=headers, **kwargs)

    def rest_(self, method, url, name=None, **kwargs):
        """``self.client.rest_(...)``: ``rest`` with a cache-busting ``_=`` parameter."""
        return self.client.rest_(method, url, name=name, **kwargs)
