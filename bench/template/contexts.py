"""The benchmark contexts, shared by django_bench.py (and mirrored in bench.cpp)."""

MESSAGES = [
    'fortune: No such file or directory', "A computer scientist is someone who fixes things that aren't broken.",
    'After enough decimal places, nobody gives a damn.', 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1',
    'A computer program does what you tell it to do, not what you want it to do.',
    'Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen',
    'Any program that runs right is obsolete.', 'A list is only as strong as its weakest link. \u2014 Donald Knuth',
    'Feature: A bug with seniority.', 'Computers make very fast, very accurate mistakes.',
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    '\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af',
]


def fortunes():
    return [{'id': i + 1, 'message': MESSAGES[i % len(MESSAGES)] + (' #%d' % i)} for i in range(100)]


def page():
    return {
        'year': 2026, 'site_name': 'Example & Co',
        'section': {'title': 'Articles', 'url': '/articles/'},
        'links': [{'url': '/l/%d/' % i, 'title': 'link number %d' % i} for i in range(8)],
        'page': {'title': 'Rendering templates quickly <fast>', 'author': 'Ann', 'tags': ['c++', 'django', 'web'],
                 'body': 'First paragraph with <html> & stuff.\nSecond line.\n\nSecond paragraph.'},
        'items': [{'name': 'item %d' % i, 'price': i * 1.75, 'note': 'note %d' % i if i % 3 == 0 else ''}
                  for i in range(20)],
    }
