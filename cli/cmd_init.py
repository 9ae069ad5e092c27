"""`orderhub init`: data directory, key file, schema, and the first org with its admin.

Safe to re-run (it migrates and reports "already initialised"). The admin password comes
from --password-stdin, ORDERHUB_ADMIN_PASSWORD or a prompt; with no terminal and none
given, a strong one is generated and printed once.
"""

from __future__ import annotations

import argparse
import os
import sys

from cli.common import EXIT_OK, add_json_option, emit, read_password, settings_from
from core.config import AuthSettings
from core.installation import InitReport, generate_password, initialise

PASSWORD_ENV = "ORDERHUB_ADMIN_PASSWORD"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "init",
        help="create the data directory, key file and database, and the first org",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--org", default="default", help="name of the first org (商家)")
    parser.add_argument("--admin", default="admin", help="user name of its administrator")
    parser.add_argument("--contact", default="", help="admin's e-mail or phone for codes")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the admin password from stdin"
    )
    add_json_option(parser)
    parser.set_defaults(handler=run)


class _Password:
    """Picks the password source lazily: asked for only when an admin is really created."""

    def __init__(self, args: argparse.Namespace, auth: AuthSettings) -> None:
        self.args = args
        self.auth = auth
        self.generated: str | None = None

    def __call__(self, username: str) -> str:
        if self.args.password_stdin:
            return read_password("", None, stdin_flag=True)
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        if sys.stdin.isatty():
            return read_password(f"password for {username}: ", None)
        self.generated = generate_password(username, self.auth)
        return self.generated


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    password = _Password(args, settings.auth)
    report = initialise(
        settings,
        org_name=args.org,
        admin_username=args.admin,
        password_for=password,
        contact=args.contact,
    )
    if getattr(args, "json", False):
        emit(args, {**report.as_dict(), "generated_password": password.generated})
        return EXIT_OK
    _print_report(report)
    if password.generated:
        print(
            f"\nNo terminal and no password given, so one was generated for {report.admin_created}."
            f"\nIt is shown only this once; store it now:\n\n    {password.generated}\n"
        )
    return EXIT_OK


def _print_report(report: InitReport) -> None:
    print(f"data dir:  {report.data_dir}")
    print(f"database:  {report.database_url}")
    if report.key_file is None:
        print("keys:      from ORDERHUB_SECRET_KEY (no key file)")
    else:
        state = "created, mode 600" if report.key_file_created else "exists"
        print(f"key file:  {report.key_file} ({state})")
    if report.revision_before == report.revision:
        print(f"schema:    at {report.revision} (up to date)")
    else:
        print(f"schema:    migrated {report.revision_before or 'empty'} → {report.revision}")
    if report.already_initialised:
        print(f"already initialised: org(s) {', '.join(report.existing_orgs)}; nothing created")
    else:
        print(f"org:       {report.org_created} (created, admin {report.admin_created})")
