"""Sets the Django settings, records whether the apps were already loaded
when this file was imported, then does what pytest-django would: set up
Django if nobody did and create the tables in the in-memory database."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproj.settings")

from django.apps import apps  # noqa: E402

# True under tach: tach_shim ran django.setup() before importing conftest.
APPS_READY_AT_CONFTEST_IMPORT = apps.ready


def pytest_configure(config):
    import django
    from django.core.management import call_command

    if not apps.ready:
        django.setup()  # plain pytest (no pytest-django here)
    # The tables, once, in the process that collects: under tach that is
    # the zygote, so every test starts with them and with no rows.
    call_command("migrate", run_syncdb=True, verbosity=0)
