"""Fails on purpose, first in collection order: the failure text (assertion
rewriting over an ORM call) must be the same under tach as under pytest,
and a failing suite gives both the same exit status."""


def test_failure_text_matches_pytest():
    from notes.models import Note

    Note.objects.create(text="only one")
    assert Note.objects.count() == 2, "one row was created"
