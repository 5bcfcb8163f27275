"""Thin HTTP handlers: parse, authorise, call the domain, shape the response."""
