from __future__ import annotations

import pytest

from tests.support.no_broker import without_broker


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return without_broker(app_config)
