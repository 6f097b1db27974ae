"""Notifications (core service): rows listed at /me/notifications, plus an email each."""
