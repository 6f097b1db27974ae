"""Accounts: registration, email confirmation, login, profile, personal data, API tokens."""
