"""A multi-tenant app for the security tests (issue 14): tenant-scoped querysets, a
view get_related_queryset() that scopes nested rows by tenant, guarded extras, and
another tenant's rows planted under every relation."""
