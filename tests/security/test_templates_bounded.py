"""A merchant's template cannot exhaust the server: what the sandbox alone let through (a
12.6 s nested loop, 100 MB of output, an 8.7 s power) is refused at save time with the reason,
and rendering is bounded for any template that gets past the check."""

import time

import pytest

from core.errors import ValidationError
from core.message_templates import MAX_RENDERED_CHARS, VARIABLES, render_template

URL = "/api/v1/templates/reminder/fr/sms"
ATTACKS = [
    "{% for i in range(6000) %}{% for j in range(6000) %}{% endfor %}{% endfor %}" * 8,
    "{{ 'a'*100000000 }}",
    "{{ 9**2999999 }}",
    "{{ ''|center(100000000) }}",
    "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% set a = 'xxxxxxxx' %}{% set a = a ~ a %}{% set a = a ~ a %}{{ a }}",
    "{{ cycler.__init__ }}",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_a_template_that_would_exhaust_the_server_is_refused_when_saved(client, auth, text):
    started = time.perf_counter()
    answer = client.put(URL, headers=auth, json={"text": text})
    assert answer.status_code == 422
    assert "templates use only variables" in answer.json["error"]["message"] or (
        "unknown variable" in answer.json["error"]["message"]
    )
    assert time.perf_counter() - started < 2  # refused from its syntax, never run


def test_what_merchants_write_still_renders():
    text = (
        "{% if promo_code %}Code {{ promo_code|upper }}. {% else %}Merci. {% endif %}"
        "{{ first_name|default('Bonjour')|title }}, {{ merchant[:20] ~ ' : ' ~ amount }} {{ link }}"
        "{% if due_date is defined and due_date != '' %} avant le {{ due_date }}{% endif %}"
    )
    values = {name: "" for name in VARIABLES} | {"first_name": "marie", "merchant": "Lune"}
    assert render_template(text, values | {"amount": "75,50 €", "link": "https://p.ex/i/x"}) == (
        "Merci. Marie, Lune : 75,50 € https://p.ex/i/x"
    )


def test_a_rendered_text_longer_than_the_limit_is_refused():
    text = "{{ merchant ~ merchant ~ merchant ~ merchant }}"
    with pytest.raises(ValidationError, match="more than"):
        render_template(text, {"merchant": "x" * (MAX_RENDERED_CHARS // 3)})
