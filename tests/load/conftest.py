"""Load tests: register their marker (pyproject's --strict-markers refuses unknown ones)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "load: concurrent sessions against a real server on loopback (bounded, ~1 minute)"
    )
