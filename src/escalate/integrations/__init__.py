"""Integrations with bot frameworks, one module each, each behind its own extra.

``import escalate`` never imports them; importing one without its extra installed raises
``MissingDependencyError`` naming the extra to install.
"""
