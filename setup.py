"""Build step: compile the translation catalogues (``.po`` -> ``.mo``) while the package is built.

The ``.po`` files are the only committed form of the translations (docs/translations.md): the
``.mo`` files the application loads are generated, into the wheel's build folder for a normal
install, and beside the ``.po`` files for an editable install (``pip install -e .``), exactly as
``hub i18n compile`` does for translators. Everything else about the package is in
pyproject.toml.
"""

from pathlib import Path
from typing import ClassVar

from setuptools import Command, setup
from setuptools.command.build import build

PACKAGE_FOLDERS = ("hub", "plugins", "themes")
CATALOGUES = "**/translations/*/LC_MESSAGES/messages.po"


class build_catalogues(Command):
    """Compile every ``messages.po`` of the packages to ``messages.mo`` (fuzzy entries left out)."""

    description = "compile the gettext catalogues (.po) to .mo files"
    user_options: ClassVar[list] = []

    def initialize_options(self):
        self.build_lib = None
        self.editable_mode = False

    def finalize_options(self):
        self.set_undefined_options("build_py", ("build_lib", "build_lib"))

    def get_source_files(self) -> list[str]:
        return [str(p) for folder in PACKAGE_FOLDERS for p in sorted(Path(folder).glob(CATALOGUES))]

    def _targets(self) -> dict[str, str]:
        """``{built .mo: its .po}``; in editable mode the ``.mo`` goes beside its ``.po``."""
        base = Path(".") if self.editable_mode else Path(self.build_lib)
        return {str(base / Path(po).with_suffix(".mo")): po for po in self.get_source_files()}

    def run(self):
        try:
            from babel.messages.mofile import write_mo
            from babel.messages.pofile import read_po
        except ImportError as error:  # only without build isolation
            raise SystemExit("compiling the translations needs Babel in the build environment "
                             "(pyproject.toml [build-system] requires it)") from error
        for mo_path, po_path in self._targets().items():
            with open(po_path, "rb") as fh:
                catalog = read_po(fh)
            Path(mo_path).parent.mkdir(parents=True, exist_ok=True)
            with open(mo_path, "wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)

    def get_outputs(self) -> list[str]:
        if self.editable_mode:  # listed as build outputs for setuptools' strict editable mode
            return [str(Path(self.build_lib) / mo) for mo in self._targets()]
        return list(self._targets())

    def get_output_mapping(self) -> dict[str, str]:
        if self.editable_mode:  # the file in build_lib stands for the one written in place
            return {str(Path(self.build_lib) / mo): mo for mo in self._targets()}
        return {}


class build_with_catalogues(build):
    sub_commands: ClassVar[list] = [*build.sub_commands, ("build_catalogues", None)]


setup(cmdclass={"build": build_with_catalogues, "build_catalogues": build_catalogues})
