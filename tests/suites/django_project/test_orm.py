"""The ORM against an in-memory sqlite database.

Each test creates rows and expects to be alone.  Under tach every test
starts from the zygote's database (tables made by conftest.py, no rows):
all pass, in snapshot and fork mode.  Under plain pytest the rows pile up
(test_a_failure.py, run first, already leaves one behind): every test here
fails there, and the harness expects exactly that difference.
"""
import pytest


@pytest.mark.parametrize("run", ["first", "second", "third"])
def test_rows_do_not_leak(run):
    from notes.models import Note

    Note.objects.create(text=f"note from {run}")
    assert [n.text for n in Note.objects.all()] == [f"note from {run}"]


def test_query_filters():
    from notes.models import Note

    Note.objects.bulk_create([Note(text="alpha"), Note(text="beta"), Note(text="alphabet")])
    assert sorted(n.text for n in Note.objects.filter(text__startswith="alpha")) == ["alpha", "alphabet"]
    Note.objects.filter(text="beta").delete()
    assert Note.objects.count() == 2


def test_apps_ready_without_setup():
    """Apps were loaded before conftest.py was even imported, and are at the
    start of this test: nobody in the test calls django.setup().  Under
    plain pytest (no pytest-django) the conftest had to do it: fails."""
    import conftest
    from django.apps import apps

    assert apps.ready
    assert apps.get_app_config("notes").get_model("Note").__name__ == "Note"
    assert conftest.APPS_READY_AT_CONFTEST_IMPORT, "django.setup() had not run before conftest.py"
