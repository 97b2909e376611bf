"""The web application (`rotation serve`): the HR office's pages and the JSON API of SPEC §9.

It calls the same service layer as the command line (rotation.service): uploads are read by
the same reader, plans made and written by the same functions, in worker processes.

    app.py       create_app(): the FastAPI application, its middleware and error pages
    security.py  sessions, roles, CSRF and origin checks, login rate limit, request size limits
    api.py       /api: the JSON API of SPEC §9
    pages.py     the Chinese pages (Jinja2 templates, htmx; no build step, no CDN)
    charts.py    server-drawn SVG bar charts
"""
