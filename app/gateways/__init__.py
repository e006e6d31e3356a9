"""Station gateways: whether one can be heard (presence.py) and its alerts (liveness.py),
provisioning and broker accounts (provisioning.py, dynsec.py, broker_admin.py,
broker_bootstrap.py), the desired config pushed to it (desired_config.py), and the one
paho client factory of the server (mqtt_client.py)."""
