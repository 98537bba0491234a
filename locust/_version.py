"""The version of the package, in a leaf module every other module may import.

``locust/__init__.py`` re-exports it; modules inside the package import it
from here, so that none of them needs the package's ``__init__`` (which
imports the locustfile API) to read it.
"""

__version__ = "0.8.0.dev0"
