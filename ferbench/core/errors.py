"""The errors a plugin author or a user meets when a name or a plugin is wrong."""

from __future__ import annotations


class PluginError(RuntimeError):
    """A plugin could not be loaded or registered; the message names the file."""


class UnknownNameError(KeyError):
    """A name that no plugin registered; the message suggests close names."""

    def __str__(self) -> str:
        return str(self.args[0])
