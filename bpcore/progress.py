"""Progress bars that show in the terminal and never in rendered notebooks.

Inside a Jupyter kernel ``sys.stderr`` is captured into the notebook, and
ipykernel >= 6 also captures file descriptor 2 (and echoes it to the terminal).
It keeps a duplicate of the original descriptor (``_original_stdstream_copy``):
writing there shows the bar where the user is waiting (the terminal that runs
papermill / ``make book``) and keeps the notebook and HTML clean. Outside a
kernel the bar goes to ``sys.stderr`` as usual.
"""
from __future__ import annotations

import io
import os
import sys

from tqdm import tqdm

_terminal: io.TextIOBase | None = None


def terminal_stream():
    """A text stream to the real terminal, bypassing a Jupyter kernel's capture."""
    global _terminal
    if _terminal is not None:
        return _terminal
    fd = getattr(sys.stderr, "_original_stdstream_copy", None)
    if isinstance(fd, int):
        try:
            _terminal = os.fdopen(os.dup(fd), "w", buffering=1)
            return _terminal
        except OSError:
            pass
    return sys.stderr


def progress(iterable=None, **kwargs):
    """``tqdm`` writing to the real terminal; disabled with ``BPCORE_PROGRESS=0``."""
    kwargs.setdefault("file", terminal_stream())
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("leave", False)
    if os.environ.get("BPCORE_PROGRESS", "1") == "0":
        kwargs["disable"] = True
    return tqdm(iterable, **kwargs)
