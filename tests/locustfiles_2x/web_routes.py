# "Adding Web Routes": a route added from the init event, when there is a web UI.
from locust import HttpUser, constant, events, task


@events.init.add_listener
def on_locust_init(environment, **kw):
    if environment.web_ui:
        @environment.web_ui.app.route("/added_page")
        def my_added_page():
            return "Another page"


class MyUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def t(self):
        self.client.get("/")
