"""The ingest process: MQTT consumer → bounded queue → batching writer → ack after commit.

Domain rules live in app/devices (apply_batch); this package only moves messages
and keeps count. Start it with `flask --app app ingest` (app/cli/ingest_commands.py).
"""
