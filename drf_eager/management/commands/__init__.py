"""drf_eager's management commands: explain_shape."""
