"""The public read-only JSON API (/api/v1) and its OpenAPI document."""

from ngo.api.views import bp

__all__ = ["bp"]
