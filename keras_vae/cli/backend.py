"""The commands that load Keras: they first make sure its backend is installed."""

from __future__ import annotations

import click

from keras_vae.backend_choice import BackendNotInstalled, choose_installed_backend


class KerasCommand(click.Command):
    """A command that loads Keras. Before it runs, an installed backend is chosen if keras.json
    names a missing one and KERAS_BACKEND is unset; a missing backend otherwise is a one-line
    error, not a traceback from inside Keras."""

    def invoke(self, ctx: click.Context):
        ready_backend()
        return super().invoke(ctx)


def ready_backend() -> None:
    """Chooses an installed backend if keras.json names a missing one and KERAS_BACKEND is
    unset, saying so; raises a one-line ClickException if no backend can load."""
    try:
        note = choose_installed_backend()
    except BackendNotInstalled as error:
        raise click.ClickException(str(error)) from None
    if note:
        click.echo(note, err=True)
