"""``setup_logging`` where Locust 2.x keeps it (``from locust.log import setup_logging``)."""

__all__ = ["setup_logging"]


def setup_logging(loglevel="INFO", logfile=None):
    """Log to stderr (or ``logfile``) as the command line does."""
    from .main import setup_logging as setup
    setup(loglevel.upper(), logfile)
