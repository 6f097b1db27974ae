"""The commune admin's area: settings, users and roles, plugins, audit log."""
