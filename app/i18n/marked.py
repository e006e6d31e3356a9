"""Messages marked for translation where they are written and translated where they are
shown: an operation outside any request reports an English message id with
``%(name)s`` placeholders and its parameters; a page translates it for its reader, the
API and the command line use the English text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation; the page shows it in the reader's language."""
    return message


class Marked:
    """A marked message with its parameters, for a dataclass that declares both."""

    #: English message id with %(name)s placeholders, filled from ``params``.
    message: str
    params: Mapping[str, Any]

    @property
    def text(self) -> str:
        return self.message % dict(self.params) if self.params else self.message
