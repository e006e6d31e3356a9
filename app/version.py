"""The release of this code, shown on /healthz and in the API document."""

__version__ = "0.1.0"
