"""Bundled plugins of the participation hub.

Each sub-package is one plugin; its ``plugin.py`` module holds the pluggy hook
implementations and is imported only when the allow-list admits the plugin.
"""
