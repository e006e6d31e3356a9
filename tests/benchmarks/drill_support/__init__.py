"""Parts of the detection drill (tests/benchmarks/detection_drill.py).

- ``procs``: the real processes (ingest, scheduler, simulators, CLI runs), each with its
  own log, ended on every exit path; Mosquitto wrapped so it dies with the drill too.
- ``mail``: a real SMTP server (aiosmtpd) that stamps each message on arrival.
- ``gateway``: a gateway the drill drives itself, speaking protocol v1 like the agent.
- ``fleet``: the registered fleet (demo seed plus the drill's own rows).
- ``watch``: the alert poller and the raw-MQTT probe (the baseline).
- ``faults``: what was injected, what was expected, and the verdict per fault.
"""
