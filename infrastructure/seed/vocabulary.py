"""The small vocabularies bulk data is drawn from: names, labels, cities, products.

Weights are rough shapes of a women's-wear and cosmetics brand's customer base, not statistics.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# (hanzi, pinyin) pairs, so a Chinese customer's email can be built from their name.
CHINESE_FAMILY_NAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"),
    ("徐", "xu"), ("孙", "sun"), ("胡", "hu"), ("朱", "zhu"), ("高", "gao"),
    ("林", "lin"), ("何", "he"), ("郭", "guo"), ("马", "ma"), ("罗", "luo"),
)
CHINESE_GIVEN_NAMES_FEMALE = (
    ("芳", "fang"), ("娜", "na"), ("秀英", "xiuying"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("颖", "ying"),
    ("佳怡", "jiayi"), ("欣怡", "xinyi"), ("子涵", "zihan"),
)
CHINESE_GIVEN_NAMES_MALE = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("洋", "yang"), ("军", "jun"),
    ("晓明", "xiaoming"), ("浩然", "haoran"), ("建国", "jianguo"),
)
WESTERN_GIVEN_NAMES_FEMALE = (
    "Emma", "Olivia", "Sophie", "Lisa", "Anna", "Claire", "Laura", "Julia", "Grace", "Chloe",
)
WESTERN_GIVEN_NAMES_MALE = (
    "James", "Thomas", "Daniel", "Lucas", "Henry", "Oliver", "David", "Paul", "Mark", "Peter",
)
WESTERN_FAMILY_NAMES = (
    "Smith", "Brown", "Wilson", "Taylor", "Martin", "Moreau", "Müller", "Rossi", "García",
    "Johnson", "Clarke", "Walker", "Young", "Hall", "Wright", "Dubois", "Schmidt", "Bianchi",
)
ORGANISATION_NAMES = (
    "杭州丝绸贸易有限公司", "上海静安百货", "Lotus Boutique Ltd", "Golden Thread Distribution",
    "苏州锦绣服饰", "Harbour Retail Group", "成都蓉城商贸", "Pearl River Fashion Co",
)

CHINESE_EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com")
WESTERN_EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com")
# Mobile prefixes after the country code.
CHINESE_MOBILE_PREFIXES = ("139", "138", "137", "136", "135", "186", "188", "159", "177", "199")

OCCUPATIONS = (
    "teacher", "engineer", "doctor", "designer", "accountant", "lawyer", "entrepreneur",
    "civil servant", "student", "retired", "nurse", "consultant", "marketing manager",
)
PREFERENCES = (
    "silk", "cashmere", "linen", "cotton", "muted colours", "bright colours", "size S",
    "size M", "size L", "classic cuts", "loose fit", "fragrance-free", "matte finish",
)
INTERESTS = (
    "gardening", "films", "travel", "yoga", "cooking", "reading", "music", "hiking",
    "art", "photography", "tea", "tennis",
)
TAGS = (
    "vip", "new", "white-collar", "student", "loves-films", "villa-owner", "wholesale",
    "lapsed", "influencer", "gift-buyer",
)
CONTACT_LABELS = ("personal", "work", "mobile", None)


@dataclass(frozen=True)
class City:
    name: str
    code: str
    latitude: float
    longitude: float
    districts: tuple[str, ...]


CITIES = (
    City("Hangzhou", "hz", 30.2741, 120.1551, ("West Lake", "Binjiang", "Xiaoshan")),
    City("Shanghai", "sh", 31.2304, 121.4737, ("Jing'an", "Xuhui", "Pudong", "Huangpu")),
    City("Beijing", "bj", 39.9042, 116.4074, ("Chaoyang", "Haidian", "Dongcheng")),
    City("Shenzhen", "sz", 22.5431, 114.0579, ("Futian", "Nanshan")),
    City("Guangzhou", "gz", 23.1291, 113.2644, ("Tianhe", "Yuexiu")),
    City("Chengdu", "cd", 30.5728, 104.0668, ("Jinjiang", "Wuhou")),
    City("Nanjing", "nj", 32.0603, 118.7969, ("Xinjiekou", "Gulou")),
    City("Suzhou", "su", 31.2990, 120.5853, ("Gusu", "Industrial Park")),
    City("Wuhan", "wh", 30.5928, 114.3055, ("Jianghan", "Wuchang")),
    City("Xi'an", "xa", 34.3416, 108.9398, ("Beilin", "Yanta")),
)


@dataclass(frozen=True)
class Product:
    sku: str
    category: str
    name: str
    price: str  # Money as a decimal string, never a float (DESIGN.md §4)


PRODUCTS = (
    Product("WW-SILK-BLOUSE-01", "blouses", "Silk blouse", "899.00"),
    Product("WW-CASH-CARDI-02", "knitwear", "Cashmere cardigan", "1599.00"),
    Product("WW-LINEN-DRESS-03", "dresses", "Linen dress", "1099.00"),
    Product("WW-WOOL-COAT-04", "coats", "Wool coat", "2899.00"),
    Product("WW-SCARF-05", "accessories", "Printed silk scarf", "459.00"),
    Product("CS-EYESHADOW-11", "eye make-up", "Eye shadow palette", "329.00"),
    Product("CS-MASCARA-12", "eye make-up", "Volume mascara", "239.00"),
    Product("CS-LIPSTICK-13", "lip make-up", "Matte lipstick", "279.00"),
    Product("CS-SERUM-14", "skincare", "Repair serum", "689.00"),
    Product("CS-CREAM-15", "skincare", "Day cream", "529.00"),
)

PRODUCTS_BY_SKU = {p.sku: p for p in PRODUCTS}


def purchase_payload(lines: Sequence[tuple[Product, int]]) -> dict[str, Any]:
    """What a till sends with a sale: lines (sku, category, quantity, unit price) and total."""
    total = sum((Decimal(product.price) * quantity for product, quantity in lines), Decimal(0))
    return {
        "lines": [
            {"sku": p.sku, "category": p.category, "quantity": quantity, "unit_price": p.price}
            for p, quantity in lines
        ],
        "currency": "CNY",
        "total": str(total),
    }


ENQUIRY_TOPICS = ("sizing", "stock", "delivery", "opening hours", "alterations", "membership")
SOCIAL_ACTIONS = ("comment", "like", "share")
REMINDER_OCCASIONS = ("season change", "birthday", "member event", "holiday")
CASE_SUBJECTS = {
    "COMPLAINT": (
        ("product-quality", "Faulty zip"), ("product-quality", "Loose seam after first wash"),
        ("delivery", "Parcel arrived late"), ("service", "Unfriendly service at the counter"),
        ("billing", "Charged twice at the till"),
    ),
    "REQUEST": (
        ("alterations", "Shorten trouser hems"), ("exchange", "Exchange for another size"),
        ("membership", "Merge two member cards"),
    ),
    "ENQUIRY": (
        ("stock", "Is the silk blouse back in stock?"), ("membership", "How do tiers work?"),
    ),
}
RESOLUTION_NOTES = (
    "Replaced free of charge", "Refunded the difference", "Apologised and offered a voucher",
    "Explained and the customer was satisfied", "Repaired in the workshop",
)
