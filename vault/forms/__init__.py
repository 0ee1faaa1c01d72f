"""Secure forms: a bot asks for a one-time link, the visitor's values go straight into the vault.

``requests`` checks what a bot asks and what a visitor submits, ``store`` keeps forms and their
values (tokens only as hashes), ``page`` renders the HTML, ``app`` serves it, ``publish`` writes the
form's one event to ``chat.raw``.
"""
