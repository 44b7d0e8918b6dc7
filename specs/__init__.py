"""What users declare: pydantic models of a stack's config, their checks, and loading them.

Layer 1 beside facts/: imports only facts. One validator per kind of value (specs.values), config errors
that name the key and the fix (specs.errors), and the only reads of Pulumi config (specs.loading).
"""
