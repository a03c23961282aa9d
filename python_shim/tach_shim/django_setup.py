"""Django warm-up: load the apps once, in the zygote, before collection.

When ``DJANGO_SETTINGS_MODULE`` is set and Django can be imported, the
zygote calls ``django.setup()`` before pytest loads the project's conftest
files, as pytest-django does.  The snapshot (or the fork) is taken after
collection, so every test starts with the app registry populated, models
imported and settings configured, without paying for it again.

A conftest that sets ``DJANGO_SETTINGS_MODULE`` itself is seen too: the
plugin tries again at ``pytest_configure``, after conftest files loaded.
"""

import os


def settings_module():
    return os.environ.get("DJANGO_SETTINGS_MODULE", "")


def setup_if_configured():
    """Run ``django.setup()`` when the project is a Django project.

    Returns True when the apps are ready afterwards.  Django missing is not
    an error (the project may not use it); the settings module failing to
    import is: it raises, as it would under pytest-django, and pytest
    reports it as a usage error.
    """
    if not settings_module():
        return False
    try:
        import django
        from django.apps import apps
    except ImportError:
        return False
    if not apps.ready:
        django.setup()
    return True
