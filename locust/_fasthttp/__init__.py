"""The internals of the fast HTTP client (``locust.contrib.fasthttp`` is the public face).

An HTTP/1.1 client of our own on the engine's sockets, without urllib3 or
http.client in its request path.  One concern per module:

- :mod:`.connection`: connections, their buffers, TLS, proxies, the pool;
- :mod:`.watchdog`: the network timeouts of plain connections;
- :mod:`.request`: URLs, header blocks, bodies and redirects turned into bytes;
- :mod:`.parse`: the response head and the body framings (length, chunked, close);
- :mod:`.response`: ``FastResponse`` and its headers;
- :mod:`.catch_response`: the ``catch_response`` and ``rest()`` context managers;
- :mod:`.cookies`: the per-user cookie jar;
- :mod:`.session`: ``FastHttpSession``, which reports every request.
"""
