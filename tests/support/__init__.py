"""Helpers shared by test areas: real services started for tests, condition polling."""
