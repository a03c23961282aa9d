"""A tiny package for the tach_test example."""
