"""What seeded shops sell and what seeded buyers and sellers write.

Prices are integer fen; the wire renders them as yuan numbers. Every SKU has a merchant
code (`outer_id`) so SKU mapping can be exercised later.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sku:
    sku_id: int
    spec: str
    price_fen: int
    outer_id: str


@dataclass(frozen=True)
class Goods:
    goods_id: int
    name: str
    outer_goods_id: str
    image: str
    skus: tuple[Sku, ...]


def _goods(index: int, name: str, code: str, specs: tuple[tuple[str, int], ...]) -> Goods:
    goods_id = 100_000_000_000 + index * 7_919
    skus = tuple(
        Sku(
            sku_id=1_200_000_000_000 + index * 1_000 + n,
            spec=spec,
            price_fen=price,
            outer_id=f"{code}-{n + 1:02d}",
        )
        for n, (spec, price) in enumerate(specs)
    )
    image = f"https://img.pddpic.com/gaudit-image/sandbox/{goods_id}.jpeg"
    return Goods(goods_id, name, code, image, skus)


_RAW: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = (
    ("新疆阿克苏冰糖心苹果 新鲜水果 整箱", "APL", (("5斤装,中果", 1990), ("5斤装,大果", 2690),
                                              ("10斤装,大果", 4590))),
    ("东北五常大米 新米 稻花香", "RICE", (("5kg", 5990), ("10kg", 10990))),
    ("纯棉短袖T恤 男女同款 夏季", "TEE", (("白色,M", 2900), ("白色,L", 2900), ("黑色,L", 2900),
                                       ("黑色,XL", 3100))),
    ("加厚抽纸 原木纸巾 家用实惠装", "TISSUE", (("24包", 2490), ("36包", 3390))),
    ("不锈钢保温杯 大容量 316内胆", "CUP", (("500ml,星空蓝", 3900), ("500ml,樱花粉", 3900),
                                         ("750ml,曜石黑", 4900))),
    ("手机壳 适用苹果15 透明防摔", "CASE", (("iPhone15,透明", 990), ("iPhone15Pro,透明", 990),
                                          ("iPhone15Pro,磨砂黑", 1290))),
    ("洗衣凝珠 持久留香 家庭装", "POD", (("52颗", 2990), ("104颗", 4990))),
    ("云南普洱茶 熟茶 357克饼", "TEA", (("1饼", 6800), ("3饼礼盒", 18800))),
    ("儿童益智积木 大颗粒 拼装玩具", "TOY", (("100粒", 3990), ("200粒", 6990))),
    ("家用电热水壶 1.8L 自动断电", "KETTLE", (("白色", 4990), ("灰色", 5290))),
    ("四川麻辣牛肉干 休闲零食", "BEEF", (("麻辣,250g", 3590), ("五香,250g", 3590),
                                      ("麻辣,500g", 6590))),
    ("运动袜 男士中筒 吸汗防臭", "SOCK", (("白色,10双", 1990), ("混色,10双", 1990))),
    ("数据线 Type-C 快充 1米", "CABLE", (("1米,白色", 690), ("2米,白色", 990))),
    ("厨房收纳置物架 多层 免打孔", "RACK", (("二层", 2590), ("三层", 3590))),
    ("赣南脐橙 当季新鲜", "ORANGE", (("5斤,中果", 2290), ("9斤,大果", 3990))),
    ("牙刷 软毛 家庭装", "BRUSH", (("12支", 1590), ("20支", 2290))),
    ("冬季加厚棉拖鞋 居家防滑", "SLIPPER", (("粉色,36-37", 1690), ("灰色,40-41", 1690),
                                          ("灰色,42-43", 1790))),
    ("宠物猫粮 成猫幼猫通用", "CATFOOD", (("2.5kg", 4990), ("5kg", 8990))),
    ("蓝牙耳机 半入耳 长续航", "EARBUD", (("白色", 7900), ("黑色", 7900))),
    ("农家土鸡蛋 新鲜 30枚", "EGG", (("30枚", 3280), ("60枚", 5980))),
)

CATALOGUE: tuple[Goods, ...] = tuple(
    _goods(i, name, code, specs) for i, (name, code, specs) in enumerate(_RAW, start=1)
)

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏",
    "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石",
    "欧阳", "司马", "诸葛", "上官",
)
GIVEN_CHARS = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "辉", "建",
    "文", "斌", "宇", "浩", "凯", "欣", "怡", "婷", "雪", "琳", "晨", "阳", "子", "轩", "梓",
    "涵", "睿", "嘉", "佳", "思",
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "175", "176", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
)

BUYER_MEMOS = (
    "请尽快发货，谢谢", "不要放发票", "送人的，别放价格单", "周末不在家，请放快递柜",
    "麻烦包装结实一点", "请发顺丰，补运费可以", "挑大一点的", "能今天发吗？急用",
    "放门口就行", "收件人电话打不通请打备用电话", "要白色的，别发错了", "多给点赠品呗",
)
SELLER_REMARKS = (
    "已核对地址", "赠品：钥匙扣", "加急，优先发", "客户要求改发顺丰", "缺货，等补货后发",
    "老客户，送小样", "地址偏远，核实运费", "已电话确认规格", "拆单发货", "合并同地址订单",
    "买家要求延迟发货", "质检后再发",
)
REMARK_TAG_NAMES = {1: "红色", 2: "黄色", 3: "绿色", 4: "蓝色", 5: "紫色"}

# Every order lists the same tags; value 1 means the tag applies (pinduoduo.md §3.4).
ORDER_TAGS = ("ship_hold", "free_sf", "delivery_one_day", "return_freight_payer", "self_contained")

SHOP_NAMES = (
    "小麦优选旗舰店", "乡味坊特产店", "简约家居生活馆", "潮流衣橱男装店", "萌宠日记专营店",
    "数码小铺", "田园鲜果园", "好物百货店",
)
