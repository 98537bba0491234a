"""``run_single_user`` (2.x): run one user in the foreground, printing every request.

For stepping through a locustfile in a debugger, or ``python locustfile.py``::

    if __name__ == "__main__":
        run_single_user(MyUser)

It builds an :class:`~locust.env.Environment` (once per process), fires
``init`` (with no runner) and ``test_start``, then runs the user in the
caller until it stops (``StopUser``, or Ctrl-C). ``test_stop`` and
``quitting`` are not fired. The script's command line may give the host
(``python locustfile.py --host http://...``, or ``LOCUST_HOST``) and
``--tags``/``--exclude-tags``. Each request is printed as one line: type, name,
response time in ms, and the exception of a failure.
"""

import contextlib
import inspect
import os
import sys
from datetime import datetime, timezone

from . import events
from .exception import CatchResponseError

__all__ = ["run_single_user", "PrintListener"]


class PrintListener:
    """Prints a line per request (a listener of ``events.request``)."""

    def __init__(self, env, include_length=False, include_time=False, include_context=False,
                 include_payload=False):
        self.include_length = include_length
        self.include_time = include_time
        self.include_context = include_context
        self.include_payload = include_payload
        env.events.request.add_listener(self.on_request)
        columns = (["time"] if include_time else []) + ["type", "name".ljust(50), "resp_ms"]
        columns += (["length"] if include_length else []) + ["exception"]
        columns += ["context"] if include_context else []
        print("\n" + "\t".join(columns))

    def on_request(self, request_type, name, response_time, response_length, exception=None,
                   context=None, start_time=None, response=None, **_kwargs):
        """Print one request."""
        if exception is None:
            error = ""
        elif isinstance(exception, CatchResponseError):
            error = str(exception)
        else:
            error = repr(exception)
        fields = []
        if self.include_time:
            fields.append(str(datetime.fromtimestamp(start_time, tz=timezone.utc)) if start_time
                          else str(datetime.now()))
        fields += [str(request_type), (name or "").ljust(50),
                   str(round(response_time if response_time is not None else -1)).ljust(7)]
        if self.include_length:
            fields.append(str(response_length))
        fields.append(error[:500].replace("\n", " ").ljust(9))
        if self.include_context:
            fields.append(str(context or ""))
        if self.include_payload and response is not None:
            fields.append(str(getattr(getattr(response, "request", None), "body", "")))
        print("\t".join(fields), flush=True)


_env = None


def run_single_user(user_class, include_length=False, include_time=False, include_context=False,
                    include_payload=False, loglevel="WARNING"):
    """Run one user of ``user_class`` here, until it stops; print every request.

    ``loglevel`` sets up logging (None leaves it alone). The host is the
    class's, or ``LOCUST_HOST`` from the environment.
    """
    global _env
    if loglevel:
        from .log import setup_logging
        setup_logging(loglevel)
    if _env is None:
        from .argument_parser import create_parser
        from .env import Environment
        caller = inspect.stack()[1].filename
        options, _unknown = create_parser().parse_known_args(sys.argv[1:])
        options.host = options.host or os.environ.get("LOCUST_HOST")
        options.locustfile = os.path.basename(caller)
        _env = Environment(events=events, locustfile=options.locustfile, host=options.host,
                           parsed_options=options)
        PrintListener(_env, include_length=include_length, include_time=include_time,
                      include_context=include_context, include_payload=include_payload)
        events.init.fire(environment=_env, runner=None, web_ui=None)
    _env.user_classes = [user_class]
    _env._tasks_filtered = False
    _env._filter_tasks_by_tags()
    events.test_start.fire(environment=_env)
    if _env.host:
        user_class.host = _env.host
    from .user.users import User
    if issubclass(user_class, User):
        user = user_class(_env)
    else:  # a 0.7 Locust class
        user = user_class()
        user.environment = _env
    _env.single_user_instance = user
    with contextlib.suppress(KeyboardInterrupt):
        user.run()
