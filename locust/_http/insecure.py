"""urllib3's InsecureRequestWarning once per host, not once per request.

urllib3 warns on every request made with ``verify=False``
(``HTTPSConnectionPool._validate_conn``), and at import it adds an "always"
filter for its SecurityWarning classes: a load test with ``verify=False``
wrote one warning per request (11 MB of stderr in 10 s, measured). The
warning's text names the host, so Python's "once" action (once per distinct
text and category) gives one warning per host. The request path is not
touched: urllib3 still calls ``warnings.warn``, which now only looks the text
up in the "once" registry.

The filter goes just before urllib3's own, not at the front of the list, so
a filter of the locustfile's (``urllib3.disable_warnings()``,
``warnings.simplefilter("ignore")``) still wins whichever came first.
"""

import warnings

from urllib3.exceptions import InsecureRequestWarning, SecurityWarning

__all__ = ["warn_once_per_host"]


def warn_once_per_host():
    """Install the filter (once; calling again changes nothing)."""
    filters = warnings.filters
    for action, message, category, module, _lineno in filters:
        if action == "once" and category is InsecureRequestWarning and message is None \
                and module is None:
            return
    # filterwarnings() puts it first and invalidates the registries' caches;
    # it is then moved (no warning can be issued in between).
    warnings.filterwarnings("once", category=InsecureRequestWarning)
    ours = filters.pop(0)
    for index, entry in enumerate(filters):
        if entry[0] == "always" and entry[2] is SecurityWarning:
            filters.insert(index, ours)
            return
    filters.append(ours)
