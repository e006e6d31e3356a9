"""Notifications: channels (SMTP, webhooks), routing, quiet hours, outbox and delivery log."""
