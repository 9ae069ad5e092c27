"""Idempotent requests (the HTTP API's `Idempotency-Key`): `service` stores the first
answer to a request per (org, key) and hands it back to retries; the table is
`core.models.IdempotencyKey` (every table lives in `core.models`)."""
