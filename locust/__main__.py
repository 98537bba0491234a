"""``python -m locust``: the same as the ``locust`` command."""

from .main import main

if __name__ == "__main__":
    main()
