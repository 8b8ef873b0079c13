"""An existing DRF project adopting drf_eager (issue 19): an e-commerce API written as
such projects are, built with and without drf_eager's mixins (see api.py)."""
