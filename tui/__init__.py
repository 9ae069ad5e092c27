"""The terminal UI (Textual): where operators and warehouse staff do the day's work.

A front end over core's services, like the CLI and the API: no business logic here, no
session or query (import-linter forbids `core.models` and `sqlalchemy`). Where a screen
needs a service that does not exist, it is added to `core/` first.

Layout — which module owns what:

- `app`: `make_app(settings, actor, …)`, the one factory `orderhub tui` (`cli/cmd_tui.py`)
  and the tests share, and `OrderhubApp`: the core handle, the session, the first screen,
  and `attempt` / `in_background`, through which every service call goes;
- `session`: who is working — sign-in and sign-out through `core.accounts.auth`, the
  session check before each call (an expired session returns to the login screen);
- `errors`: core errors (`core.errors`) to notifications, in one place; a bug is logged to
  `tui.log` in the data directory, never shown as a traceback;
- `i18n` and `catalogue/`: `t("desk.title")`; every user-visible string, zh-CN first and
  English (`--lang en`); one catalogue module per screen, keys prefixed with its name;
- `actions`: `ScreenAction`, one line per action a screen offers — its key in the footer
  and its entry in the command palette (`ActionsProvider`);
- `screens/`: one module per screen (`base` for what they share, `login`, `desk` with its
  batch actions in `desk_batch`, `detail`, `dialogs`); `screens.home_screen` is where a
  signed-in operator lands;
- `widgets/<region>/`: the widgets of one screen's regions (`desk/`: tab strip, filter bar
  and its completion, order table and the window of keyset pages behind it, selection,
  status line; `detail/`), `widgets/common/` for the shared ones;
- `styles/*.tcss`: one style sheet per screen, `app.tcss` for the shared parts; all are
  loaded by the app.

Adding a screen: a module in `screens/` subclassing `OrderhubScreen`, its `ACTIONS` and
`action_*` methods, its widgets in `widgets/<screen>/`, its messages in
`catalogue/<screen>.py`, its styles in `styles/<screen>.tcss`, and pilot and snapshot
tests in `tests/tui/`.
"""
