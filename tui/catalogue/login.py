"""Messages of the login screen."""

MESSAGES: dict[str, tuple[str, str]] = {
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.code": ("动态验证码", "Authenticator code"),
    "login.code.placeholder": ("6 位数字", "6 digits"),
    "login.submit": ("登录", "Sign in"),
    "login.submit.help": ("用用户名和密码登录", "Sign in with your user name and password"),
    "login.checking": ("正在验证…", "Checking…"),
    "login.need_code": (
        "此账号已开启两步验证：请输入验证器 App 中的 6 位动态码",
        "This account uses two-step sign-in: enter the 6-digit code from your authenticator app",
    ),
    "login.failed": (
        "用户名或密码错误。连续失败 {threshold} 次后账号将锁定 {minutes} 分钟，管理员可提前解锁。",
        "Wrong user name or password. After {threshold} failed attempts the account is locked "
        "for {minutes} minutes; an administrator can unlock it sooner.",
    ),
    "login.missing": ("请输入用户名和密码", "Enter your user name and password"),
}
