"""Settings shared by every test module."""

import signal

# A shell starts background jobs with SIGINT ignored, and a Python process
# that starts with SIGINT ignored keeps ignoring it, as do the processes it
# starts.  Tests that stop a child with SIGINT (as Ctrl-C would) must not
# depend on how the suite was launched: give the suite, and so its children,
# the handler of a process started from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
