"""Messages of the shipping screen: confirming shipment, the ship-back outbox, failures
by class, alerts."""

MESSAGES: dict[str, tuple[str, str]] = {
    "shipping.title": ("发货 · 回传", "Shipping · ship-back"),
    "shipping.tab.outbox": ("回传队列", "Outbox"),
    "shipping.tab.failures": ("失败", "Failures"),
    "shipping.tab.failures_n": ("失败 {count}", "Failures {count}"),
    "shipping.tab.alerts": ("告警", "Alerts"),
    "shipping.tab.alerts_n": ("告警 {count}", "Alerts {count}"),
    "shipping.state.pending": ("待回传", "pending"),
    "shipping.state.sending": ("回传中", "sending"),
    "shipping.state.done": ("已回传", "done"),
    "shipping.state.held": ("已拦截", "held"),
    "shipping.state.needs_person": ("需处理", "needs a person"),
    "shipping.state.shipped_outside": ("外部已发", "shipped outside"),
    "shipping.oldest": ("最早待回传 {since}", "oldest waiting since {since}"),
    "shipping.ready": (
        "待确认发货：已验货 {verified} 个包裹，已打印未验货 {printed} 个",
        "Ready to confirm: {verified} verified package(s), {printed} printed not verified",
    ),
    "shipping.verified_only": (
        "（本组织要求先验货再发货）",
        "(this org ships verified packages only)",
    ),
    "shipping.col.order": ("订单", "Order"),
    "shipping.col.package": ("包裹", "Package"),
    "shipping.col.tracking": ("快递单号", "Tracking"),
    "shipping.col.state": ("状态", "State"),
    "shipping.col.tries": ("次数", "Tries"),
    "shipping.col.next": ("下次尝试", "Next try"),
    "shipping.col.error": ("最近错误", "Last error"),
    "shipping.col.class": ("类别", "Class"),
    "shipping.col.count": ("数量", "Rows"),
    "shipping.col.meaning": ("说明", "What it means"),
    "shipping.col.id": ("编号", "ID"),
    "shipping.col.raised": ("时间", "Raised"),
    "shipping.col.severity": ("级别", "Severity"),
    "shipping.col.kind": ("类型", "Kind"),
    "shipping.col.message": ("内容", "Message"),
    "shipping.class.refund": (
        "买家退款或售后：已拦截，请勿发货",
        "Refund or after-sale: held, do not ship",
    ),
    "shipping.class.closed": ("订单已关闭：已拦截", "Order closed: held"),
    "shipping.class.invalid": (
        "平台拒绝（单号、快递公司或参数）：核对后重试",
        "Refused by the platform (tracking number, carrier, a parameter): check, then retry",
    ),
    "shipping.class.not_found": (
        "平台找不到此订单：核对店铺和订单号",
        "The platform does not know the order: check shop and number",
    ),
    "shipping.class.blocked": (
        "暂不可发货（风控、暂停发货）：稍后重试",
        "Not shippable now (risk review, paused): retry later",
    ),
    "shipping.class.transient": (
        "平台暂时不可用：会自动重试",
        "Platform unavailable for now: retried by itself",
    ),
    "shipping.class.already_shipped": ("平台已显示发货", "The platform shows it shipped"),
    "shipping.severity.info": ("提示", "info"),
    "shipping.severity.warning": ("警告", "warning"),
    "shipping.severity.critical": ("严重", "critical"),
    "shipping.confirm": ("确认发货", "Confirm"),
    "shipping.confirm.help": (
        "把所有待确认的包裹标记为已发货并排队回传平台",
        "Mark every ready package shipped and queue its confirmation for the platform",
    ),
    "shipping.confirm.ask": (
        "确认 {count} 个包裹已发货？确认后将回传平台，不可撤销。",
        "Confirm {count} package(s) shipped? The platform will be told; this cannot be undone.",
    ),
    "shipping.nothing_ready": ("没有待确认发货的包裹", "No package is ready to confirm"),
    "shipping.confirmed": (
        "{count} 个包裹已发货，{rows} 条回传已排队",
        "{count} package(s) shipped, {rows} confirmation(s) queued",
    ),
    "shipping.refused": (
        "{count} 个未发货，例如包裹 {package}：{why}",
        "{count} refused, e.g. package {package}: {why}",
    ),
    "shipping.drain": ("立即回传", "Send now"),
    "shipping.drain.help": (
        "现在把到期的发货信息回传平台（平时由后台 worker 回传）",
        "Send the due confirmations to the platform now (the worker does it otherwise)",
    ),
    "shipping.drained": (
        "已回传 {sent}，平台早已发货 {already}，拦截 {held}，需处理 {person}，稍后重试 {retrying}",
        "{sent} sent, {already} already shipped, {held} held, {person} need a person, "
        "{retrying} to retry",
    ),
    "shipping.retry": ("重试", "Retry"),
    "shipping.retry.help": (
        "重新回传所选订单（需处理的，或已解除拦截的）",
        "Send the selected order again (needs a person, or released from a hold)",
    ),
    "shipping.retried": ("订单 {order} 已重新排队回传", "Order {order} queued again"),
    "shipping.outside": ("外部已发", "Outside"),
    "shipping.outside.help": (
        "所选订单已在其他地方发货：停止回传",
        "The selected order was shipped by other means: stop its confirmation",
    ),
    "shipping.outside.ask": (
        "订单 {order} 已通过其他方式发货？回传将停止、包裹记为已同步。请注明发货方式：",
        "Was order {order} shipped by other means? Its confirmation stops and its package "
        "counts as synced. How was it shipped?",
    ),
    "shipping.marked_outside": (
        "订单 {order} 已记为外部发货",
        "Order {order} marked shipped outside",
    ),
    "shipping.not_changed": ("未更改", "Not changed"),
    "shipping.ack": ("确认告警", "Acknowledge"),
    "shipping.ack.help": (
        "确认已看到所选告警（记入审计）",
        "Say the selected alert was seen (audited)",
    ),
    "shipping.acked": ("告警 {id} 已确认", "Alert {id} acknowledged"),
    "shipping.refresh": ("刷新", "Refresh"),
    "shipping.refresh.help": ("重新读取回传队列和告警", "Read the outbox and alerts again"),
}
