"""Real-browser tests of the web app (a package, so its conftest does not shadow ``tests/app/web/conftest.py``)."""
