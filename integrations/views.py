"""Integrations have no pages of their own: webhooks are managed in the admin and through the API."""
