"""Template lookup: theme, then plugins, then core; ``original:`` skips the theme.

A theme overrides any template by putting a file of the same name in its
``templates/`` folder. To extend instead of replacing, it writes
``{% extends "original:home.html" %}``, which resolves the name as if the theme
did not exist (plugins, then core).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader, TemplateNotFound

THEMES_ROOT = Path(__file__).resolve().parent.parent / "themes"


def theme_path(theme: str) -> Path:
    path = Path(theme)
    if not path.is_absolute():
        path = THEMES_ROOT / theme
    if not path.is_dir():
        raise RuntimeError(f"theme folder not found: {path}")
    return path


class _Unprefixed(BaseLoader):
    """Loads names that contain no ``:`` prefix only (so ``original:x`` never hits the theme)."""

    def __init__(self, loader: BaseLoader):
        self.loader = loader

    def get_source(self, environment, template):
        if ":" in template:
            raise TemplateNotFound(template)
        return self.loader.get_source(environment, template)

    def list_templates(self):
        return self.loader.list_templates()


def build_loader(theme_dir: Path, plugin_dirs: list[Path], core_dirs: list[Path]) -> BaseLoader:
    original = ChoiceLoader([FileSystemLoader([str(p) for p in plugin_dirs + core_dirs])])
    theme_templates = theme_dir / "templates"
    loaders: list[BaseLoader] = []
    if theme_templates.is_dir():
        loaders.append(_Unprefixed(FileSystemLoader(str(theme_templates))))
    loaders.append(_Unprefixed(original))
    loaders.append(PrefixLoader({"original": original}, delimiter=":"))
    return ChoiceLoader(loaders)
