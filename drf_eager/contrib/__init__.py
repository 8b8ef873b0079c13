"""Integrations with optional third-party packages, each imported only when that package
is installed (see `drf_eager.apps`)."""
