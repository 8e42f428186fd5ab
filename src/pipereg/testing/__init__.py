"""Pipeline tests: case files, seed data, the embedded engine, the runner and the pytest plugin."""
