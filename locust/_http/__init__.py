"""The internals of ``HttpSession`` (``locust.clients`` is the public face).

One concern per module:

- :mod:`.session`: ``SessionCore``, what every request goes through
  (prepare the first hop in named steps, send it, follow redirects);
- :mod:`.request`: URLs, headers, bodies and auth turned into what is sent;
- :mod:`.cookies`: ``RequestsCookieJar`` (a CookieJar that reads like a
  dict, as in requests) and the calls any HTTP client makes to send and
  receive cookies with it;
- :mod:`.pool`: urllib3's connection pools on the engine's sockets, the
  fast response-head parse that replaces http.client's, and the once-per-host
  warning of ``verify=False``;
- :mod:`.response`: the requests-compatible ``Response`` (built in one place,
  its constructor);
- :mod:`.catch_response`: how a request is reported (the 0.7 events or a 2.x
  request event) and ``catch_response=True``'s context manager;
- :mod:`.exceptions`: the requests-style errors both HTTP clients use;
- :mod:`.structures`: ``CaseInsensitiveDict``.
"""
