"""Optional parts of Locust imported by name, e.g. ``locust.contrib.fasthttp``."""
