"""bpcore: the computational core of the bipolaron review companion.

Importing :mod:`bpcore` is cheap and never initialises Taichi. Kernels live in
submodules (``bpcore.qmc``, ``bpcore.semiclassical``); they call
:func:`bpcore.backend.init` themselves before allocating fields.
"""

import os as _os

# Keep stdout clean for JSON-printing commands: Taichi prints a banner on import
# and on init unless told not to (backend.init redirects the second to stderr).
_os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "False")
_os.environ.setdefault("TI_SKIP_VERSION_CHECK", "ON")
_os.environ.setdefault("TI_LOG_LEVEL", "warn")

__version__ = "0.1.0"

FIGURES = (
    "fig01_me_ceiling",
    "fig02_holstein_self_trapping",
    "fig03_bipolaron_mass_1d",
    "fig04_pair_hopping",
    "fig05_bond_peierls_geometry",
    "fig06_tc_2d",
    "fig07_tc_vs_U",
    "fig08_tc_3d_coulomb",
    "fig09_instanton",
)
