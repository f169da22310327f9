"""Progress bars that show in the terminal and never in rendered notebooks.

Inside a Jupyter kernel ``sys.stderr`` is captured into the notebook, but
``sys.__stderr__`` is the kernel process's own stderr, inherited from the
process that launched it (papermill, ``make book``). Writing there shows the bar
where the user is waiting and keeps the HTML clean.
"""
from __future__ import annotations

import os
import sys

from tqdm import tqdm


def progress(iterable=None, **kwargs):
    """``tqdm`` writing to the real terminal; disabled with ``BPCORE_PROGRESS=0``."""
    kwargs.setdefault("file", sys.__stderr__ or sys.stderr)
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("leave", False)
    if os.environ.get("BPCORE_PROGRESS", "1") == "0":
        kwargs["disable"] = True
    return tqdm(iterable, **kwargs)
