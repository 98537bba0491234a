# "Custom arguments": init_command_line_parser with the 2.x add_argument keywords.
from locust import HttpUser, events, task


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--my-argument", type=str, env_var="LOCUST_MY_ARGUMENT", default="",
                        help="It's working")
    parser.add_argument("--env", choices=["dev", "staging", "prod"], default="dev", help="Environment")
    parser.add_argument("--endpoints", choices=["a", "b", "c"], is_multiple=True, default=["a"],
                        help="Endpoints")
    parser.add_argument("--my-ui-invisible-argument", include_in_web_ui=False, default="I am invisible")
    parser.add_argument("--my-ui-password-argument", is_secret=True, default="I am a secret")
    parser.add_argument("--my-ui-boolean-argument", default=True)
    parser.add_argument("--my-ui-required-argument", is_required=True, default="I am required")


@events.test_start.add_listener
def _(environment, **kw):
    print(f"Custom argument supplied: {environment.parsed_options.my_argument}")


class WebsiteUser(HttpUser):
    @task
    def my_task(self):
        print(f"my_argument={self.environment.parsed_options.my_argument}")
        print(f"my_ui_invisible_argument={self.environment.parsed_options.my_ui_invisible_argument}")
        self.client.get("/" + self.environment.parsed_options.env)
