"""The local web app (``balance serve``): team, athlete, session and analyse pages, and the live test view.

Built on Starlette, served by uvicorn, templates in Jinja2 (autoescape on); every asset is a file of this
package (no CDN, no web fonts). :func:`balance.app.web.app.create_app` builds the application from a
:class:`balance.app.web.settings.WebSettings`. Nothing here is imported by ``balance --help``.
"""
