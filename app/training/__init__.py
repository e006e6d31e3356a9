"""The training programme: courses, responders and their certificates, station cover,
and the report the district publishes.

- :mod:`app.training.rules` is the one validator of the fields, for the web forms, the
  API and the attendee import; :mod:`~app.training.responders` and
  :mod:`~app.training.courses` save records in the caller's transaction.
- :mod:`~app.training.certificates`: when a certificate is valid, how long it lasts,
  how a course renews it (Python and SQL).
- :mod:`~app.training.attendee_files` reads a training base's list (CSV or .xlsx);
  :mod:`~app.training.attendees` imports it (per-line errors, dry run, idempotent).
- :mod:`~app.training.alerts` (certificate reminders) and :mod:`~app.training.cover`
  (responders a site needs) compute what should be open; :mod:`~app.training.refresh`
  applies them for the writers, :mod:`~app.training.jobs` hourly for the scheduler.
- :mod:`~app.training.report`: the programme report and its CSV (anonymous counts).
- :mod:`~app.training.policy`: the settings (``CERTIFICATE_VALID_YEARS``, the district's
  rule to confirm); :mod:`~app.training.words`: the words in both languages.
"""
