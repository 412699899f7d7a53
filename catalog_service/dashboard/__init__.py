"""The adoption dashboard (``GET /dashboard``): figures, inline SVG charts and their templates."""
