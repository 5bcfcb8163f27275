"""A site's webhooks: registered by its admin (registry.py); each event of the site fanned out
to those that take its type (fan_out.py); each delivery signed the Standard Webhooks way
(signing.py) and posted, retried for more than a day (sender.py)."""
