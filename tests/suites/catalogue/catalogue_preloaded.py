"""Imported at collection (by catalogue_state); a test removes it from sys.modules."""
VALUE = "preloaded"
