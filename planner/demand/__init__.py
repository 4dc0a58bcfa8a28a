"""Stage 2a: where people live.

:func:`load_demand` gives the homes (points with a population) of a study area: OSM residential buildings or
land use, or the planner's own file of points, polygons (community areas with census counts) or a gridded
population raster; :func:`load_areas` reads the areas (communities) a plan reports by.

The modules, by idea:

- :mod:`~planner.demand.points`: :func:`load_demand`, OSM footprints and point files;
- :mod:`~planner.demand.areas`: areas and their population spread onto the homes inside them;
- :mod:`~planner.demand.raster`: gridded population (WorldPop and the like) read through a window.
"""

from planner.demand.areas import load_areas
from planner.demand.points import load_demand
from planner.demand.raster import is_raster, read_raster_demand

__all__ = ["is_raster", "load_areas", "load_demand", "read_raster_demand"]
