"""Webhooks out: the HTTP client that posts to receivers, and the guard that keeps it off the
service's own networks (loopback, private, link-local) unless allowed."""
