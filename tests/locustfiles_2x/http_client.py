# "client attribute / HttpSession": post and read a response, keep the session.
from locust import HttpUser, constant, task


class MyUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def login_and_profile(self):
        response = self.client.post("/login", {"username": "testuser", "password": "secret"})
        print("Response status code:", response.status_code)
        print("Response text:", response.text)
        response = self.client.get("/my-profile")
        assert response.ok and response.content
