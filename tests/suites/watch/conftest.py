"""Notes each import of this file in conftest_imports.log (watch_check.py
reads it): a zygote collected again from the parked state does not import
it anew; a new worker does."""
import os

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "conftest_imports.log"), "a") as log:
    log.write(f"{os.getpid()}\n")
