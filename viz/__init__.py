"""Interactive PyVis views of the chain graph."""
