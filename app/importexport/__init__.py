"""Import and export of sites and assets as CSV and GeoJSON (OSM tags where they fit)."""
