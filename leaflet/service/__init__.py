"""The leaflet service: the counter page and the JSON/FHIR API, a thin layer over :mod:`leaflet.pipeline`.

Needs the ``service`` extra (``pip install 'leaflet[service]'``). One module per concern: ``settings``,
``builder`` (the one function that builds), ``models`` (request and response bodies), ``api`` and ``page``
(the routes), ``fhir``, ``issued`` (the issued-leaflet log), ``preview``, ``problems`` (errors as JSON,
the body limit) and ``app`` (the factory).
"""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
