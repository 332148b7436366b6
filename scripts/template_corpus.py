#!/usr/bin/python3
"""Generates duet's differential template corpus with Django (Debian's python3-django).

Writes tests/template/corpus/{templates/*.html, cases.json, expected/*.txt}. The expected outputs are
committed, so duet's test suite compares byte for byte without Python. Run with /usr/bin/python3.

Context JSON conventions (understood by both sides): {"__datetime__": "YYYY-MM-DDTHH:MM:SS[.ffffff]"},
{"__date__": "YYYY-MM-DD"}, {"__safe__": "text"} (mark_safe).
Error cases: the expected file holds "!TemplateSyntaxError: <Django's message>".
"""
import datetime
import json
import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, 'tests', 'template', 'corpus')
TEMPLATES = os.path.join(CORPUS, 'templates')
EXPECTED = os.path.join(CORPUS, 'expected')

# Shared templates (bases, includes) used by several cases.
SHARED = {
    'base.html': '<html><head><title>{% block title %}Base{% endblock %}</title></head>\n'
                 '<body>{% block content %}base content{% endblock %}\n'
                 '<footer>{% block footer %}(c) {{ site|default:"duet" }}{% endblock footer %}</footer></body></html>\n',
    'middle.html': '{% extends "base.html" %}{% block title %}Middle - {{ block.super }}{% endblock %}'
                   '{% block content %}<div>{% block inner %}middle inner{% endblock %}</div>{% endblock %}',
    'row.html': '<li>{{ item.name }}{% if extra %} ({{ extra }}){% endif %}</li>',
    'greeting.html': 'Hello {{ name|default:"nobody" }}{% if title %}, {{ title }}{% endif %}!',
    'sub/rel.html': '{% include "./relpart.html" %}',
    'sub/relpart.html': 'relative part {{ x }}',
    'counter.html': '{% cycle "a" "b" %}',
    'fortunes.html': '<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th>'
                     '<th>message</th></tr>{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td>'
                     '</tr>{% endfor %}</table></body></html>',
}

PEOPLE = [
    {'first': 'George', 'last': 'Bush', 'gender': 'Male', 'age': 70},
    {'first': 'Bill', 'last': 'Clinton', 'gender': 'Male', 'age': 71},
    {'first': 'Margaret', 'last': 'Thatcher', 'gender': 'Female', 'age': 87},
    {'first': 'Condoleezza', 'last': 'Rice', 'gender': 'Female', 'age': 62},
    {'first': 'Pat', 'last': 'Smith', 'gender': 'Unknown', 'age': 40},
]

FORTUNES = [{'id': i, 'message': m} for i, m in enumerate([
    'fortune: No such file or directory', "A computer scientist is someone who fixes things that aren't broken.",
    'After enough decimal places, nobody gives a damn.', 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1',
    'A computer program does what you tell it to do, not what you want it to do.',
    'Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen',
    'Any program that runs right is obsolete.', 'A list is only as strong as its weakest link. \u2014 Donald Knuth',
    'Feature: A bug with seniority.', 'Computers make very fast, very accurate mistakes.',
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    '\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af'], start=1)]

# name: (template source, context)
CASES = {
    # --- variables, lookups, literals, escaping
    'var_basic': ('Hello {{ name }}! {{ missing }}|{{ n }} {{ f }} {{ t }} {{ nothing }}',
                  {'name': 'World', 'n': 42, 'f': 1.5, 't': True, 'nothing': None}),
    'var_escape': ('{{ html }} {{ html|safe }} {{ "<b>literal</b>" }} {{ quote }} {{ amp }}',
                   {'html': '<a href="x">Tom & Jerry\'s</a>', 'quote': '"q"', 'amp': 'a&b'}),
    'var_lookup': ('{{ user.name }} {{ user.tags.0 }} {{ user.tags.1 }} {{ user.tags.-1 }} {{ user.missing }}'
                   '{{ matrix.1.0 }} {{ d.items }} {{ word.0 }}',
                   {'user': {'name': 'ann', 'tags': ['a', 'b', 'c']}, 'matrix': [[1, 2], [3, 4]],
                    'd': {'k': 'v'}, 'word': 'hello'}),
    'var_numbers': ('{{ 5 }} {{ -3 }} {{ 1.25 }} {{ 1e3 }} {{ big }} {{ tiny }} {{ neg }} {{ third }} {{ whole }}',
                    {'big': 1e20, 'tiny': 1.5e-7, 'neg': -0.5, 'third': 1 / 3, 'whole': 2.0}),
    'var_containers': ('{{ lst }} {{ dct }} {{ nested }} {{ s_lst }}',
                       {'lst': [1, 'a', None, True, 2.5], 'dct': {'a': 1, 'b': 'x'}, 'nested': [[1], {'k': []}],
                        's_lst': ["it's", 'say "hi"', 'back\\slash']}),
    'var_true_false_none': ('{{ True }} {{ False }} {{ None }} {% if None is None %}ok{% endif %}', {}),
    'var_safe_ctx': ('{{ s }} {{ s|upper }} {{ s|escape }} {{ s|force_escape }}', {'s': {'__safe__': '<i>x</i>'}}),
    'autoescape_off': ('{% autoescape off %}{{ h }} {{ h|escape }}{% autoescape on %} {{ h }}{% endautoescape %}'
                       '{% endautoescape %} {{ h }}', {'h': '<p>&</p>'}),
    'comment_tags': ('a{# hidden {{ x }} #}b{% comment %}gone {% if %} {% endcomment %}c'
                     '{% comment "note" %}x{% endcomment %}', {'x': 1}),
    'unicode': ('{{ s }} {{ s|upper }} {{ s|length }} {{ s|first }} {{ s|last }} {{ s|slice:"1:3" }}',
                {'s': 'h\u00e9llo w\u00f6rld \u2603'}),
    'not_a_tag': ('{{ a }} {{ b \n }} { {x} } {% not\na tag %} %} }} {# a\nb #}', {'a': 1}),
    # --- if
    'if_basic': ('{% if a %}A{% elif b %}B{% else %}C{% endif %}|{% if not a %}notA{% endif %}|'
                 '{% if a and b %}AB{% endif %}{% if a or b %}AorB{% endif %}', {'a': 0, 'b': 'x'}),
    'if_precedence': ('{% if a or b and c %}1{% else %}0{% endif %}{% if not a and b %}1{% else %}0{% endif %}'
                      '{% if a == 1 or b == 2 and c %}1{% else %}0{% endif %}'
                      '{% if not x in lst %}1{% else %}0{% endif %}{% if a and not b or c %}1{% else %}0{% endif %}',
                      {'a': 1, 'b': 0, 'c': 0, 'x': 5, 'lst': [1, 2, 3]}),
    'if_compare': ('{% if n > 3 %}gt{% endif %}{% if n >= 5 %}ge{% endif %}{% if n < 10 %}lt{% endif %}'
                   '{% if n <= 4 %}le{% endif %}{% if n == 5 %}eq{% endif %}{% if n != 5 %}ne{% endif %}'
                   '{% if s == "abc" %}seq{% endif %}{% if s < "b" %}slt{% endif %}{% if n > s %}bad{% endif %}'
                   '{% if f == 5 %}feq{% endif %}{% if t == 1 %}teq{% endif %}{% if missing < 3 %}mlt{% endif %}'
                   '{% if lst == lst2 %}leq{% endif %}',
                   {'n': 5, 's': 'abc', 'f': 5.0, 't': True, 'lst': [1, 2], 'lst2': [1, 2]}),
    'if_in': ('{% if "a" in s %}1{% endif %}{% if 2 in lst %}2{% endif %}{% if "k" in d %}3{% endif %}'
              '{% if "z" not in s %}4{% endif %}{% if 9 not in lst %}5{% endif %}{% if x in missing %}6{% endif %}'
              '{% if 1 in s %}7{% endif %}', {'s': 'abc', 'lst': [1, 2], 'd': {'k': 1}, 'x': 1}),
    'if_is': ('{% if x is None %}1{% endif %}{% if y is not None %}2{% endif %}{% if t is True %}3{% endif %}'
              '{% if f is False %}4{% endif %}{% if missing is None %}5{% endif %}{% if z is None %}6{% endif %}',
              {'x': None, 'y': 0, 't': True, 'f': False, 'z': ''}),
    'if_filters': ('{% if lst|length > 2 %}long{% endif %}{% if name|lower == "bob" %}bob{% endif %}'
                   '{% if not empty %}empty{% endif %}{% if emptyd %}d{% else %}nod{% endif %}',
                   {'lst': [1, 2, 3], 'name': 'BOB', 'empty': [], 'emptyd': {}}),
    # --- for
    'for_basic': ('{% for x in lst %}{{ forloop.counter }}:{{ x }}{% if not forloop.last %}, {% endif %}'
                  '{% endfor %}|{% for x in lst reversed %}{{ x }}{% endfor %}|'
                  '{% for x in empty %}{{ x }}{% empty %}none{% endfor %}|{% for x in missing %}x{% empty %}m{% endfor %}',
                  {'lst': ['a', 'b', 'c'], 'empty': []}),
    'for_forloop': ('{% for x in lst %}[{{ forloop.counter0 }}{{ forloop.counter }}{{ forloop.revcounter }}'
                    '{{ forloop.revcounter0 }}{{ forloop.first }}{{ forloop.last }}]{% endfor %}', {'lst': [1, 2, 3]}),
    'for_nested': ('{% for row in rows %}{% for c in row %}{{ forloop.parentloop.counter }}.{{ forloop.counter }}='
                   '{{ c }} {% endfor %}{% endfor %}', {'rows': [['a', 'b'], ['c']]}),
    'for_unpack': ('{% for k, v in d.items %}{{ k }}={{ v }};{% endfor %}{% for a, b in pairs %}{{ a }}-{{ b }} '
                   '{% endfor %}{% for a,b in pairs %}{{ a }}{% endfor %}{% for k in d %}{{ k }}{% endfor %}',
                   {'d': {'x': 1, 'y': 2}, 'pairs': [[1, 2], [3, 4]]}),
    'for_string_dict': ('{% for c in s %}{{ c }}.{% endfor %}{% for k in d %}{{ k }},{% endfor %}',
                        {'s': 'ab\u00e9', 'd': {'b': 1, 'a': 2}}),
    'for_objects': ('<ul>{% for p in people %}<li>{{ p.first }} {{ p.last|upper }} ({{ p.age }})</li>{% endfor %}</ul>',
                    {'people': PEOPLE}),
    'fortunes': ('{% include "fortunes.html" %}', {'fortunes': FORTUNES}),
    # --- with, firstof, cycle, ifchanged, regroup
    'with_tag': ('{% with total=lst|length name="x" %}{{ total }}{{ name }}{% endwith %}'
                 '{% with lst.0 as first %}{{ first }}{% endwith %}{% with a=1 %}{% with a=2 %}{{ a }}{% endwith %}'
                 '{{ a }}{% endwith %}[{{ total }}]', {'lst': [7, 8]}),
    'firstof_tag': ('{% firstof a b c %}|{% firstof a b "<x>" %}|{% firstof a "" %}|{% firstof b c as v %}[{{ v }}]'
                    '|{% firstof h %}', {'a': 0, 'b': '', 'c': 'C', 'h': '<b>'}),
    'cycle_tag': ('{% for x in lst %}{% cycle "odd" "even" %} {% endfor %}|{% for x in lst %}'
                  '{% cycle "a" "b" "c" as c %}{{ c }} {% endfor %}|{% for x in lst %}{% cycle r1 r2 as rv silent %}'
                  '{{ rv }}{% endfor %}|{% for x in lst %}{% cycle "p" "q" as pq %}{% resetcycle pq %}{% endfor %}',
                  {'lst': [1, 2, 3, 4], 'r1': '<1>', 'r2': '2'}),
    'ifchanged_tag': ('{% for x in lst %}{% ifchanged %}{{ x }}{% endifchanged %}{% endfor %}|'
                      '{% for p in people %}{% ifchanged p.gender %}[{{ p.gender }}]{% else %}.{% endifchanged %}'
                      '{% endfor %}|{% for r in rows %}{% for c in r %}{% ifchanged c %}{{ c }}{% endifchanged %}'
                      '{% endfor %};{% endfor %}',
                      {'lst': [1, 1, 2, 2, 2, 3, 1], 'people': PEOPLE, 'rows': [[1, 1, 2], [2, 2]]}),
    'regroup_tag': ('{% regroup people by gender as groups %}{% for g in groups %}{{ g.grouper }}:'
                    '{% for p in g.list %}{{ p.first }},{% endfor %};{% endfor %}|'
                    '{% regroup people|dictsort:"age" by gender as g2 %}{% for grouper, items in g2 %}{{ grouper }}='
                    '{{ items|length }} {% endfor %}|{% regroup missing by x as g3 %}[{{ g3|length }}]',
                    {'people': PEOPLE}),
    # --- misc tags
    'spaceless_tag': ('{% spaceless %}  <p>\n  <a href="x">  link  </a>\n </p>  {% endspaceless %}', {}),
    'verbatim_tag': ('{% verbatim %}{{ x }} {% if %}{% endverbatim %}|{% verbatim v1 %}{% endverbatim %}'
                     '{% endverbatim v1 %}{{ x }}', {'x': 'X'}),
    'templatetag_tag': ('{% templatetag openblock %} {% templatetag closeblock %} {% templatetag openvariable %}'
                        '{% templatetag closevariable %}{% templatetag openbrace %}{% templatetag closebrace %}'
                        '{% templatetag opencomment %}{% templatetag closecomment %}', {}),
    'widthratio_tag': ('{% widthratio 175 200 100 %} {% widthratio v m 10 %} {% widthratio 5 0 100 %} '
                       '{% widthratio 1 8 100 %} {% widthratio 3 8 100 %} {% widthratio "x" 2 3 %}|'
                       '{% widthratio 50 100 7 as w %}{{ w }}', {'v': 25, 'm': 100.0}),
    'filter_tag': ('{% filter upper %}hello {{ name }}{% endfilter %}|{% filter force_escape|lower %}<B>X</B>'
                   '{% endfilter %}|{% filter linebreaksbr %}a<b>\nc{% endfilter %}', {'name': '<bob>'}),
    'csrf_tag': ('[{% csrf_token %}]', {'csrf_token': 'abc"123'}),
    'csrf_missing': ('[{% csrf_token %}]', {}),
    'now_tag': ('{% now "Y" as y %}{% if y|length == 4 %}year-ok{% endif %}', {}),
    'load_tag': ('{% load corpus_extras %}{{ name|shout }} {% greet name %} {% greet "<x>" %} {% greet name as g %}'
                 '[{{ g }}]', {'name': 'ann'}),
    'load_from': ('{% load shout from corpus_extras %}{{ "hi"|shout }}', {}),
    # --- inheritance and include
    'extends_one': ('{% extends "base.html" %}{% block title %}Child{% endblock %}ignored text'
                    '{% block content %}<p>{{ body }}</p>{% endblock %}', {'body': 'Hi & bye'}),
    'extends_super': ('{% extends "base.html" %}{% block title %}{{ block.super }} + Child{% endblock %}'
                      '{% block footer %}[{{ block.super }}]{% endblock %}', {'site': 'example'}),
    'extends_three': ('{% extends "middle.html" %}{% block title %}Leaf / {{ block.super }}{% endblock %}'
                      '{% block inner %}leaf inner, was: {{ block.super }}{% endblock %}', {}),
    'extends_var': ('{% extends parent %}{% block content %}from var{% endblock %}', {'parent': 'base.html'}),
    'extends_leading': ('  {% extends "base.html" %}{% block content %}x{% endblock %}', {}),
    'include_tag': ('{% for item in items %}{% include "row.html" %}{% endfor %}|'
                    '{% include "row.html" with item=items.0 extra="E" %}|'
                    '{% include "greeting.html" with name="Ann" only %}|{% include "greeting.html" only %}|'
                    '{% include tmpl %}|{% include "sub/rel.html" with x=1 %}',
                    {'items': [{'name': 'one'}, {'name': '<two>'}], 'title': 'Dr', 'name': 'Bob',
                     'tmpl': 'greeting.html'}),
    'include_cycle': ('{% include "counter.html" %}{% include "counter.html" %}', {}),
    # --- filters
    'filters_string': ('{{ s|lower }}|{{ s|upper }}|{{ s|title }}|{{ s|capfirst }}|{{ "they\'re 1st"|title }}|'
                       '{{ s|cut:" " }}|{{ s|ljust:"15" }}.|{{ s|rjust:15 }}|{{ s|center:"16" }}.|'
                       '{{ s|center:"15" }}.|{{ s|wordcount }}|{{ s|make_list }}|{{ q|addslashes }}',
                       {'s': 'hello wORLD foo', 'q': 'I\'m "q" \\'}),
    'filters_default': ('{{ a|default:"x" }}|{{ b|default:"x" }}|{{ c|default_if_none:"n" }}|'
                        '{{ b|default_if_none:"n" }}|{{ missing|default:"m" }}|{{ missing|default_if_none:"m" }}|'
                        '{{ a|default:b }}', {'a': 0, 'b': 'B', 'c': None}),
    'filters_length': ('{{ lst|length }} {{ s|length }} {{ d|length }} {{ n|length }} {{ missing|length }} '
                       '{{ lst|first }} {{ lst|last }} {{ empty|first }}. {{ lst|join:", " }} {{ h|join:"<br>" }} '
                       '{{ lst|length_is:3 }} {{ lst|slice:":2" }} {{ lst|slice:"1:" }} {{ lst|slice:"::-1" }}',
                       {'lst': [1, 2, 3], 's': 'abcd', 'd': {'a': 1}, 'n': 5, 'empty': [], 'h': ['<a>', 'b']}),
    'filters_join_autoescape': ('{% autoescape off %}{{ h|join:"<br>" }}{% endautoescape %}', {'h': ['<a>', 'b']}),
    'filters_number': ('{{ 4|add:"3" }} {{ "a"|add:"b" }} {{ lst|add:lst }} {{ 1.5|add:1 }} {{ "x"|add:1 }} '
                       '{{ 21|divisibleby:3 }} {{ 20|divisibleby:"3" }} {{ 123|get_digit:1 }} {{ 123|get_digit:3 }} '
                       '{{ 123|get_digit:5 }} {{ "x"|get_digit:1 }}', {'lst': [1]}),
    'filters_floatformat': ('{{ a|floatformat }} {{ b|floatformat }} {{ c|floatformat }} {{ a|floatformat:3 }} '
                            '{{ b|floatformat:3 }} {{ a|floatformat:"-3" }} {{ c|floatformat:"-3" }} '
                            '{{ d|floatformat:2 }} {{ e|floatformat }} {{ e|floatformat:0 }} {{ f|floatformat:2 }} '
                            '{{ s|floatformat:1 }} {{ n|floatformat:2 }} {{ neg|floatformat:1 }} {{ x|floatformat }} '
                            '{{ h|floatformat:1 }} {{ big|floatformat:2 }}',
                            {'a': 34.23234, 'b': 34.0, 'c': 34.26, 'd': 1.005, 'e': 2.5, 'f': 0.125, 's': '3.75',
                             'n': 7, 'neg': -0.04, 'x': 'abc', 'h': 0.05, 'big': 1e20}),
    'filters_filesize': ('{{ 0|filesizeformat }} {{ 1|filesizeformat }} {{ 1023|filesizeformat }} '
                         '{{ 1024|filesizeformat }} {{ 123456789|filesizeformat }} {{ big|filesizeformat }} '
                         '{{ -100|filesizeformat }} {{ "x"|filesizeformat }}', {'big': 5 * 1024 ** 4}),
    'filters_pluralize': ('{{ 1|pluralize }} {{ 2|pluralize }} {{ 0|pluralize:"es" }} {{ 1|pluralize:"y,ies" }} '
                          '{{ 3|pluralize:"y,ies" }} {{ lst|pluralize }} {{ one|pluralize }} {{ "1"|pluralize }} '
                          '{{ "x"|pluralize }}. {{ 2|pluralize:"a,b,c" }}.', {'lst': [1, 2], 'one': [1]}),
    'filters_yesno': ('{{ t|yesno }} {{ f|yesno }} {{ n|yesno }} {{ t|yesno:"y,n" }} {{ n|yesno:"y,n" }} '
                      '{{ f|yesno:"a" }}', {'t': True, 'f': False, 'n': None}),
    'filters_truncate': ('{{ s|truncatechars:9 }}|{{ s|truncatechars:100 }}|{{ s|truncatechars:0 }}|'
                         '{{ s|truncatewords:2 }}|{{ s|truncatewords:10 }}|{{ sp|truncatewords:3 }}',
                         {'s': 'Joel is a slug, a big one', 'sp': 'a  b\n c'}),
    'filters_slugify': ('{{ s|slugify }}|{{ t|slugify }}|{{ u|slugify }}',
                        {'s': ' Joel is a slug ', 't': 'Hello, World!! -- _x_', 'u': 'Caf\u00e9 d\u00e9j\u00e0 vu'}),
    'filters_html': ('{{ s|linebreaks }}|{{ s|linebreaksbr }}|{{ h|striptags }}|{{ s|linenumbers }}|'
                     '{{ j|escapejs }}', {'s': 'a <b>\nline2\n\npara & 2\r\nend', 'h': '<p>Hi <b>there</b>!</p> &amp;',
                                         'j': 'x\'y"z<\n>&=-;`\u2028'}),
    'filters_urls': ('{{ u|urlencode }} {{ u|urlencode:"" }} {{ i|iriencode }}',
                     {'u': 'https://x.com/a b?c=d&e=\u00e9', 'i': '/a b/\u00e9?x=1&y=2'}),
    'filters_stringformat': ('{{ n|stringformat:"03d" }} {{ n|stringformat:"x" }} {{ f|stringformat:".2f" }} '
                             '{{ s|stringformat:"s" }} {{ s|stringformat:"10s" }}. {{ s|stringformat:"-10s" }}. '
                             '{{ f|stringformat:"e" }} {{ s|stringformat:"d" }}.', {'n': 42, 'f': 3.14159, 's': 'ab'}),
    'filters_dictsort': ('{% for p in people|dictsort:"age" %}{{ p.first }} {% endfor %}|'
                         '{% for p in people|dictsortreversed:"last" %}{{ p.last }} {% endfor %}|'
                         '{% for p in pairs|dictsort:0 %}{{ p.1 }}{% endfor %}|{{ people|dictsort:"nope" }}.',
                         {'people': PEOPLE, 'pairs': [[3, 'c'], [1, 'a'], [2, 'b']]}),
    'filters_wordwrap': ('{{ s|wordwrap:10 }}|{{ long|wordwrap:5 }}',
                         {'s': 'Joel is a slug and this is\na second line of text', 'long': 'abcdefghij klm'}),
    'filters_json_script': ('{{ d|json_script:"my-id" }}', {'d': {'a': '</script><b>&', 'n': [1, 2.5, None, True],
                                                               'u': '\u00e9'}}),
    'filters_unordered_list': ('{{ lst|unordered_list }}', {'lst': ['States', ['Kansas', ['Lawrence', 'Topeka'],
                                                                                'Illinois<>']]}),
    'filters_safeseq': ('{{ lst|safeseq|join:", " }} {{ lst|join:", " }}', {'lst': ['<a>', '<b>']}),
    'filters_chain': ('{{ s|lower|capfirst|truncatechars:8 }} {{ lst|join:"-"|upper }} {{ n|add:2|stringformat:"04d" }}',
                      {'s': 'HELLO WORLD', 'lst': ['a', 'b'], 'n': 5}),
    'filters_date': ('{{ d|date:"Y-m-d H:i:s" }}|{{ d|date:"D, d M Y" }}|{{ d|date:"l jS F y, g:i a" }}|'
                     '{{ d|date:"N j, Y, P" }}|{{ d|date }}|{{ d }}|{{ day }}|{{ day|date:"z W t L w" }}|'
                     '{{ noon|date:"P f A h G" }}|{{ mid|date:"P" }}|{{ d|time:"H:i" }}|{{ d|time }}|'
                     '{{ d|date:"c" }}|{{ d|date:"\\Y\\e\\s Y" }}|{{ d|date:"SHORT_DATE_FORMAT" }}|'
                     '{{ d|date:"U" }}|{{ d|date:"r" }}',
                     {'d': {'__datetime__': '2024-03-05T14:07:09'}, 'day': {'__date__': '2023-12-31'},
                      'noon': {'__datetime__': '2021-06-01T12:00:00'}, 'mid': {'__datetime__': '2021-06-01T00:00:00'}}),
    'filters_timesince': ('{{ a|timesince:b }}|{{ b|timeuntil:a }}|{{ b|timesince:a }}|{{ c|timesince:b }}',
                          {'a': {'__datetime__': '2024-01-01T00:00:00'}, 'b': {'__datetime__': '2024-03-05T14:07:09'},
                           'c': {'__datetime__': '2024-03-05T13:00:00'}}),
    'filters_urlize': ('{{ t|urlize }}|{{ t|urlizetrunc:15 }}|{{ s|urlize }}|{% autoescape off %}{{ t|urlize }}'
                       '{% endautoescape %}',
                       {'t': 'Visit www.example.com, or (http://x.org/a?b=c d&e=1/2). Mail me@example.com! '
                             'See https://djangoproject.com/docs/#intro. <b>x</b> google.com/search foo.bar',
                        's': {'__safe__': 'safe <i>http://a.com</i>'}}),
    'string_literal_escapes': ('{{ "a\\"b" }} {{ \'c\\\'d\' }} {{ "x"|add:\'y\' }} {% if "a b" == s %}eq{% endif %}',
                               {'s': 'a b'}),
    'for_dict_json_items': ('{% for k, v in d.items %}{{ k }}:{% for x in v %}{{ x }}{% endfor %};{% endfor %}',
                            {'d': {'one': [1, 2], 'two': [], 'three': 'abc'}}),
    'filters_truncate_html': ('{{ h|truncatewords_html:3 }}|{{ h|truncatewords_html:100 }}|{{ h|truncatechars_html:12 }}|'
                              '{{ h|truncatechars_html:4 }}|{{ b|truncatewords_html:2 }}|{{ h|truncatewords_html:0 }}.',
                              {'h': '<p>One <b>two three</b> four <br/>five <i>six</i></p>',
                               'b': '<div><a href="x">link text here</a> and more</div>'}),
    # --- syntax errors (messages compared)
    'err_unclosed_if': ('line1\n{% if x %}\nnever closed', {}),
    'err_unknown_tag': ('a\n\n{% frobnicate %}', {}),
    'err_unknown_filter': ('{{ x|nosuchfilter }}', {}),
    'err_bad_endtag': ('{% for x in y %}{% endif %}', {}),
    'err_filter_args': ('{{ x|lower:"a" }}', {}),
    'err_filter_noarg': ('{{ x|add }}', {}),
    'err_extends_not_first': ('{% if x %}{% endif %}{% extends "base.html" %}', {}),
    'err_dup_block': ('{% block a %}{% endblock %}{% block a %}{% endblock %}', {}),
    'err_if_syntax': ('{% if x and %}{% endif %}', {}),
    'err_if_unused': ('{% if x y %}{% endif %}', {}),
    'err_for_syntax': ('{% for x y %}{% endfor %}', {}),
    'err_remainder': ('{{ x!y }}', {}),
    'err_underscore': ('{{ x._private }}', {}),
    'err_load_unknown': ('{% load nosuchlib %}', {}),
}


def to_python(v):
    if isinstance(v, dict):
        if set(v) == {'__datetime__'}:
            return datetime.datetime.fromisoformat(v['__datetime__'])
        if set(v) == {'__date__'}:
            return datetime.date.fromisoformat(v['__date__'])
        if set(v) == {'__safe__'}:
            from django.utils.safestring import mark_safe
            return mark_safe(v['__safe__'])
        return {k: to_python(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_python(x) for x in v]
    return v


def extras_module():
    from django import template
    from django.utils.html import conditional_escape  # noqa: F401
    register = template.Library()

    @register.filter
    def shout(value):
        return str(value).upper() + '!'

    @register.simple_tag
    def greet(name):
        return 'Hello, %s' % name

    mod = types.ModuleType('corpus_extras')
    mod.register = register
    return mod


def main():
    import django
    from django.conf import settings
    sys.modules['corpus_extras'] = types.ModuleType('corpus_extras')
    settings.configure(
        DEBUG=False, USE_TZ=False, USE_L10N=False, USE_I18N=False, TIME_ZONE='UTC',
        TEMPLATES=[{'BACKEND': 'django.template.backends.django.DjangoTemplates', 'DIRS': [TEMPLATES],
                    'OPTIONS': {'libraries': {'corpus_extras': 'corpus_extras'}}}])
    django.setup()
    sys.modules['corpus_extras'] = extras_module()
    from django.template import TemplateSyntaxError, engines
    os.makedirs(TEMPLATES, exist_ok=True)
    os.makedirs(EXPECTED, exist_ok=True)
    for name, src in SHARED.items():
        path = os.path.join(TEMPLATES, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(src)
    engine = engines['django'].engine
    cases = []
    for name, (src, ctx) in sorted(CASES.items()):
        tname = 'case_%s.html' % name
        with open(os.path.join(TEMPLATES, tname), 'w', encoding='utf-8') as f:
            f.write(src)
        cases.append({'name': name, 'template': tname, 'context': ctx})
        from django.template import Context
        try:
            out = engine.get_template(tname).render(Context(to_python(ctx)))
        except TemplateSyntaxError as e:
            out = '!TemplateSyntaxError: %s' % e
        except Exception as e:  # a case must render or fail to compile; anything else is a corpus bug
            sys.exit('case %s raised %s: %s' % (name, type(e).__name__, e))
        with open(os.path.join(EXPECTED, name + '.txt'), 'w', encoding='utf-8', newline='') as f:
            f.write(out)
    with open(os.path.join(CORPUS, 'cases.json'), 'w', encoding='utf-8') as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print('wrote %d cases to %s' % (len(cases), CORPUS))


if __name__ == '__main__':
    main()
