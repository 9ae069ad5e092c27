"""orderhub core: the model, its services, the plugin contracts and hook specifications.

`core` knows no platform, carrier or printer by name and imports no UI or web framework;
front ends (`api`, `tui`, `cli`) and plugins build on it, never the other way round.
"""

__version__ = "0.1.0"
