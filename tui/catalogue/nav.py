"""Messages of the destinations every screen reaches by a key (`tui.screens.DESTINATIONS`)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.desk": ("订单", "Orders"),
    "nav.desk.help": (
        "回到订单台：筛选、勾选、审单、打印、发货",
        "Back to the order desk: filter, select, audit, print, ship",
    ),
    "nav.print": ("打印", "Print"),
    "nav.print.help": (
        "打印面单、发货单和拣货单；进度、暂停、补打、打印记录",
        "Print labels, packing slips and pick lists; progress, pause, reprint, history",
    ),
    "nav.pack": ("验货", "Pack"),
    "nav.pack.help": (
        "扫描验货：先扫快递单，再扫商品；拦截件回收",
        "Pack station: scan a waybill, then its items; intercepted parcels",
    ),
    "nav.shipping": ("发货", "Ship"),
    "nav.shipping.help": (
        "确认发货、回传队列、失败重试、告警",
        "Confirm shipment, the ship-back queue, retries, alerts",
    ),
    "nav.reports": ("报表", "Reports"),
    "nav.reports.help": (
        "报表：订单、发货、异常、快递、运费、时效、打印、库存，表格和图表，可导出",
        "Reports: orders, shipments, exceptions, carriers, costs, times, prints, stock; "
        "tables, charts, exports",
    ),
    "nav.stock": ("库存", "Stock"),
    "nav.stock.help": (
        "库存、商品档案、未对应的平台 SKU；入库、盘点、调拨、校验",
        "Stock levels, the catalogue, unmapped platform SKUs; receive, count, transfer, verify",
    ),
}
