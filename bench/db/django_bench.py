"""The db_bench queries on Django's ORM (Debian's python3-django), same schema and data, for the ratio.

Run by /usr/bin/python3; prints one JSON object: {"get_by_pk_us": ..., "filter_100_us": ...}.
"""
import json
import os
import random
import sys
import tempfile
import timeit

import django
from django.conf import settings

path = os.path.join(tempfile.mkdtemp(prefix="duet-django-bench-"), "bench.sqlite3")
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}},
    INSTALLED_APPS=[],
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()

from django.db import connection, models  # noqa: E402


class BenchBook(models.Model):
    title = models.CharField(max_length=100)
    pages = models.IntegerField()
    rating = models.FloatField(null=True)

    class Meta:
        app_label = "bench"
        db_table = "bench_book"


ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
with connection.schema_editor() as editor:
    editor.create_model(BenchBook)
BenchBook.objects.bulk_create(
    [BenchBook(title=f"Book {i}", pages=i, rating=i / 10.0) for i in range(ROWS)], batch_size=500
)
ids = list(BenchBook.objects.values_list("id", flat=True))
rng = random.Random(1)


def get_by_pk():
    BenchBook.objects.get(pk=rng.choice(ids))


def filter_100():
    start = rng.randrange(0, ROWS - 100)
    rows = list(BenchBook.objects.filter(pages__gte=start, pages__lt=start + 100))
    assert len(rows) == 100


def best_us(fn, number):
    # Best of 5 repeats: the least disturbed by the other processes on a shared machine.
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


print(json.dumps({"get_by_pk_us": best_us(get_by_pk, 2000), "filter_100_us": best_us(filter_100, 200)}))
os.remove(path)
