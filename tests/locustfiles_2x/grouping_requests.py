# "Grouping requests": name= on each request.
from locust import HttpUser, constant, task


class BlogUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def blog(self):
        # Statistics for these requests will be grouped under: /blog?id=[id]
        for i in range(10):
            self.client.get("/blog?id=%i" % i, name="/blog?id=[id]")
