"""A conftest.py that cannot be imported."""


def _load_settings():
    raise RuntimeError("conftest boom: settings file tach-missing-settings.toml not found")


SETTINGS = _load_settings()
