"""The scheduler process: job definitions, leader election and the APScheduler runner."""
