"""The internals of ``HttpSession`` (``locust.clients`` is the public face).

One concern per module:

- :mod:`.request`: URLs, headers, cookies and bodies turned into what is sent;
- :mod:`.pool`: urllib3's connection pools on the engine's sockets, and the
  fast response-head parse that replaces http.client's;
- :mod:`.response`: the requests-compatible ``Response``;
- :mod:`.catch_response`: ``catch_response=True``'s context manager;
- :mod:`.exceptions`: the requests-style errors both HTTP clients use;
- :mod:`.structures`: ``CaseInsensitiveDict``.
"""
