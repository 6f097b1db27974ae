"""Pages every hub has: home, language switch, resident dashboard, theme and plugin files."""
