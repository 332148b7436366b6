#!/usr/bin/python3
"""Renders the benchmark templates with Django (Debian's python3-django) and prints renders/s.

Output lines: "<case> <renders per second>" for fortunes and extends, the format bench.cpp reads.
Usage: /usr/bin/python3 bench/template/django_bench.py [seconds per case]
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def measure(fn, seconds):
    fn()
    n = 0
    start = time.perf_counter()
    while True:
        for _ in range(50):
            fn()
        n += 50
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main():
    import django
    from django.conf import settings
    settings.configure(DEBUG=False, USE_TZ=False, USE_L10N=False, USE_I18N=False, TIME_ZONE='UTC',
                       TEMPLATES=[{'BACKEND': 'django.template.backends.django.DjangoTemplates',
                                   'DIRS': [os.path.join(HERE, 'templates')],
                                   'OPTIONS': {'loaders': [('django.template.loaders.cached.Loader',
                                                            ['django.template.loaders.filesystem.Loader'])]}}])
    django.setup()
    from django.template import Context, engines
    import contexts
    engine = engines['django'].engine
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    fortunes_tpl = engine.get_template('fortunes.html')
    fortunes_ctx = Context({'fortunes': contexts.fortunes()})
    page_tpl = engine.get_template('page.html')
    page_ctx = Context(contexts.page())
    print('fortunes %.1f' % measure(lambda: fortunes_tpl.render(fortunes_ctx), seconds))
    print('extends %.1f' % measure(lambda: page_tpl.render(page_ctx), seconds))
    if len(sys.argv) > 2:  # dump outputs for comparison
        with open(sys.argv[2] + '.fortunes.html', 'w') as f:
            f.write(fortunes_tpl.render(fortunes_ctx))
        with open(sys.argv[2] + '.page.html', 'w') as f:
            f.write(page_tpl.render(page_ctx))


if __name__ == '__main__':
    main()
