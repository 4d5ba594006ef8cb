"""Errors raised by tp8.

Every error a user can provoke with bad input derives from :class:`Tp8Error`, so that
applications (and the ``tp8`` command line) can catch them all at once and print a single
line that says what to do, instead of a stack trace from deep inside PyTorch.
"""

from __future__ import annotations


class Tp8Error(Exception):
    """Base class of every error tp8 raises on purpose."""


class WeightsError(Tp8Error):
    """Pretrained weights are unavailable, corrupt, or do not fit the architecture."""


class ImageLoadError(Tp8Error):
    """An image file is missing, truncated, not an image, or suspiciously large."""


class UnknownClassError(Tp8Error, KeyError):
    """A class name or index that the model does not know."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class UnknownModelError(Tp8Error):
    """A model name that torchvision does not provide as a classifier."""


class InputError(Tp8Error, ValueError):
    """An argument with the wrong shape, range or type (say, images outside [0, 1])."""
