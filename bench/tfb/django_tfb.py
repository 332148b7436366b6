"""TechEmpower's Django application (their hello/world/views.py logic), in one file, for bench/tfb/run.sh.

Run under gunicorn from Debian: DATABASE=/path/tfb.sqlite3 gunicorn --chdir bench/tfb django_tfb:application
(SQLite), or DATABASE=postgresql with PGHOST/PGPORT/PGUSER/PGDATABASE set (PostgreSQL through psycopg2).
It reads the tables that `tfb setup` created (world, fortune).
"""
import json
import os
import random
from operator import attrgetter

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="tfb-benchmark-key",
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ["PGHOST"],
            "PORT": os.environ["PGPORT"],
            "USER": os.environ["PGUSER"],
            "NAME": os.environ["PGDATABASE"],
            "CONN_MAX_AGE": None,
        }
        if os.environ.get("DATABASE") == "postgresql"
        else {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["DATABASE"],
            "CONN_MAX_AGE": None,
        }
    },
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "fortunes.html": "<!DOCTYPE html>\n<html>\n<head><title>Fortunes</title></head>\n"
                            "<body>\n<table>\n<tr><th>id</th><th>message</th></tr>\n"
                            "{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>\n"
                            "{% endfor %}</table>\n</body>\n</html>\n"
                        },
                    )
                ]
            },
        }
    ],
)
django.setup()

from django.db import models  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402


class World(models.Model):
    randomnumber = models.IntegerField(db_column="randomnumber")

    class Meta:
        app_label = "tfb"
        db_table = "world"


class Fortune(models.Model):
    message = models.CharField(max_length=2048)

    class Meta:
        app_label = "tfb"
        db_table = "fortune"


def _random_int():
    return random.randint(1, 10000)


def _get_queries(request):
    try:
        queries = int(request.GET.get("queries", 1))
    except Exception:
        queries = 1
    return min(max(queries, 1), 500)


def plaintext(request):
    return HttpResponse("Hello, World!", content_type="text/plain")


def json_view(request):
    return HttpResponse(json.dumps({"message": "Hello, World!"}), content_type="application/json")


def db(request):
    r = _random_int()
    world = {"id": r, "randomNumber": World.objects.get(id=r).randomnumber}
    return HttpResponse(json.dumps(world), content_type="application/json")


def dbs(request):
    def caller(_):
        r = _random_int()
        return {"id": r, "randomNumber": World.objects.get(id=r).randomnumber}

    worlds = tuple(map(caller, range(_get_queries(request))))
    return HttpResponse(json.dumps(worlds), content_type="application/json")


def fortunes(request):
    rows = list(Fortune.objects.all())
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=attrgetter("message"))
    return render(request, "fortunes.html", {"fortunes": rows})


def update(request):
    def caller(_):
        w = World.objects.get(id=_random_int())
        w.randomnumber = _random_int()
        w.save()
        return {"id": w.id, "randomNumber": w.randomnumber}

    worlds = tuple(map(caller, range(_get_queries(request))))
    return HttpResponse(json.dumps(worlds), content_type="application/json")


urlpatterns = [
    path("plaintext", plaintext),
    path("json", json_view),
    path("db", db),
    path("queries", dbs),
    path("fortunes", fortunes),
    path("updates", update),
]

application = get_wsgi_application()
