"""Gateway agent for AED cabinets: drivers, durable outbox, MQTT link.

Runs on small Linux gateways and must not depend on Flask or SQLAlchemy.
"""

__version__ = "0.1.0"
