"""The HTTP API: a thin Starlette front end over core's services (no business logic here).

`api.app.create_app` builds the application; `api.contract` declares each route once and
derives both the Starlette routes and the OpenAPI 3.1 document from the declarations;
`api.problems` turns core's errors into RFC 9457 problem+json answers.
"""
