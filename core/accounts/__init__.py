"""Who may do what: orgs, users, roles, permissions, sign-in, and the audit trail.

- `users`: orgs and their users (子账号): create, list, enable, reset passwords;
- `registration`: self-registration of a new org and password reset, by one-time code;
- `auth`: sign-in, lockout, TOTP, sessions and API tokens, turning a credential into an
  `Actor`;
- `authz`: the permission and tenant check at the top of every service function;
- `permissions`: the permission names and the built-in role templates;
- `roles`: roles copied into each org and the merchant's custom ones;
- `audit`: the append-only audit trail every sensitive action writes to;
- `passwords`, `totp`, `tokens`, `one_time_codes`: the credentials themselves (argon2id
  hashes, RFC 6238 codes, hashed bearer tokens, short-lived codes).

Every other domain imports `authz` and `audit` from here; nothing here imports a domain.
"""
