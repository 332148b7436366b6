"""Django's resolve() on the URLconf of bench.cpp, for the ratio: prints `name: value ns` per path.

Run by urls_bench with Debian's /usr/bin/python3 (python3-django)."""
import sys
import timeit

import django
from django.conf import settings
from django.urls import include, path, re_path


def view(request, **kwargs):
    return None


app_patterns = [path("", view, name="index")] + [
    path(f"item{i}/<int:pk>/", view, name=f"item{i}") for i in range(10)
]

urlpatterns = (
    [path(f"page{i}/", view, name=f"page{i}") for i in range(10)]
    + [path(f"article{i}/<int:year>/<slug:slug>/", view, name=f"article{i}") for i in range(10)]
    + [path("shop/", include((app_patterns, "shop"))), re_path(r"^legacy/(?P<id>[0-9]+)/$", view, name="legacy")]
)

settings.configure(ROOT_URLCONF=__name__, DEBUG=False)
django.setup()

from django.urls import Resolver404, get_resolver  # noqa: E402

resolver = get_resolver()
PATHS = {
    "first": "/page0/",
    "converter": "/article5/2020/hello-world/",
    "include": "/shop/item9/42/",
    "last": "/legacy/1234/",
}


def miss():
    try:
        resolver.resolve("/nowhere/")
    except Resolver404:
        pass


for name, p in PATHS.items():
    n, total = timeit.Timer(lambda: resolver.resolve(p)).autorange()
    print(f"django {name}: {total / n * 1e9:.0f} ns", flush=True)
n, total = timeit.Timer(miss).autorange()
print(f"django 404: {total / n * 1e9:.0f} ns", flush=True)
sys.exit(0)
