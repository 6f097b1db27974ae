"""The annual "cahier de la participation" (charter action 9): a public report per year with the
hub's indicators, charts drawn as accessible SVG beside their data tables, printable, and its
data as CSV. Plugins add their own sections through ``hub_annual_report``."""
