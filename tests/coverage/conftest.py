"""The API tests' fixtures: no broker, and the seeded Yangpu demo."""

from tests.api.conftest import app_config, seeded

__all__ = ["app_config", "seeded"]
