"""Request and response models of /api/v1, one module per resource.

The OpenAPI document is generated from these (app/api/document.py); the route registry
validates requests through them, and the views build their answers with them.
"""
