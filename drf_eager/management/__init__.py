"""drf_eager's management commands."""
