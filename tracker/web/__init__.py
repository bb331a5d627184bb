"""The HTTP edge: guard, request parsing, error mapping, OpenAPI and the shared pages."""
