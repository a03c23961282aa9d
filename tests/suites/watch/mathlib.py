"""A non-test module: changing it re-runs everything under tach --watch."""


def add(a, b):
    return a + b
