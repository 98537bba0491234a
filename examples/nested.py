"""Nested TaskSets: the forum example of the docs (chapter 4.2.3), made runnable.

The main behaviour visits the index and the about page, enters the forum
(``ForumPage``, a TaskSet of its own) or the movies section (declared
inline with ``@task``). Inside the forum a user reads threads, replies to
one (a third level), starts a thread, and leaves with ``self.interrupt()``,
which hands control back to the parent TaskSet; without an interrupt it
would stay in the forum forever. ``name=`` groups the URLs with ids into
one statistics entry each. Run it against the demo site::

    python examples/demo_target.py --port 8080 &
    locust -f examples/nested.py --host http://127.0.0.1:8080 --no-web -c 20 -r 10 -t 1m
"""

import random

from locust import HttpLocust, TaskSet, task


class ReadThread(TaskSet):
    """Reading one thread: view the next page, reply, or go back to the forum."""

    def on_start(self):
        self.thread_id = random.randint(1, 100)
        self.client.get("/forum/thread/%d" % self.thread_id, name="/forum/thread/[id]")

    @task(5)
    def next_page(self):
        self.client.get("/forum/thread/%d?page=%d" % (self.thread_id, random.randint(2, 5)),
                        name="/forum/thread/[id]?page=[n]")

    @task(1)
    def reply(self):
        self.client.post("/forum/thread/%d" % self.thread_id, {"text": "+1"},
                         name="/forum/thread/[id] (reply)")

    @task(3)
    def back(self):
        self.interrupt()


class ForumPage(TaskSet):
    """The forum section."""

    tasks = {ReadThread: 20}

    @task(1)
    def new_thread(self):
        self.client.post("/forum/new", {"title": "hello", "text": "first post"})

    @task(5)
    def browse(self):
        self.client.get("/forum/")

    @task(5)
    def stop(self):
        self.interrupt()


class UserBehaviour(TaskSet):
    tasks = {ForumPage: 10}

    @task
    def index(self):
        self.client.get("/")

    @task
    def about(self):
        self.client.get("/about/")

    @task(3)
    class Movies(TaskSet):
        """Browse categories, filter, watch a movie; leave half the time."""

        @task(2)
        def filter_movies(self):
            self.client.get("/movies/?genre=%s" % random.choice(["drama", "comedy"]),
                            name="/movies/?genre=[genre]")

        @task(1)
        def watch_movie(self):
            self.client.get("/movies/%d" % random.randint(1, 500), name="/movies/[id]")

        @task(3)
        def leave(self):
            self.interrupt()


class WebsiteUser(HttpLocust):
    task_set = UserBehaviour
    min_wait = 500
    max_wait = 2000
