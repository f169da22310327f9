"""Semi-classical (adiabatic) picture of polarons and bipolarons.

* :mod:`.lattice`   chains, square lattices and small clusters with translations;
* :mod:`.classical` Born-Oppenheimer energy surfaces of one or two electrons coupled to static
  bond (bond-Peierls) or site (Holstein) displacements, Hellmann-Feynman forces, minimisation;
* :mod:`.instanton` zero-energy instanton (geodesic of the Jacobi metric) between degenerate
  minima by a string method, and minimum-energy paths;
* :mod:`.geometry`  the two-path hopping model t(z) of the pnictide geometry (Fig. 5).

Units: t = 1, hbar = k_B = 1, lattice constant 1.
"""
