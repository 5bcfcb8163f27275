"""The product's rules, as plain functions and small classes; never imports the web framework."""
