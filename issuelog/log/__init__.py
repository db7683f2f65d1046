"""The master log: every figure (stats), the Jinja2 sandbox (render), charts, listings and exports."""
