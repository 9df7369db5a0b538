"""The Shenzhen catalogue: districts, topics, responsible units and routing rules (seed data).

The local runtime seeds these into the table; deployments load their own with the same shape.
"""

from __future__ import annotations

from minyi.domain.deadlines import DEFAULT_DEADLINE_DAYS
from minyi.domain.models import Bounds, Catalog, Category, RoutingRule, Unit

DISTRICTS: dict[str, dict[str, str]] = {
    "futian": {"zh": "福田区", "en": "Futian"},
    "luohu": {"zh": "罗湖区", "en": "Luohu"},
    "nanshan": {"zh": "南山区", "en": "Nanshan"},
    "yantian": {"zh": "盐田区", "en": "Yantian"},
    "baoan": {"zh": "宝安区", "en": "Bao'an"},
    "longgang": {"zh": "龙岗区", "en": "Longgang"},
    "longhua": {"zh": "龙华区", "en": "Longhua"},
    "pingshan": {"zh": "坪山区", "en": "Pingshan"},
    "guangming": {"zh": "光明区", "en": "Guangming"},
    "dapeng": {"zh": "大鹏新区", "en": "Dapeng New Area"},
}

TOPICS: dict[str, dict[str, str]] = {
    "traffic": {"zh": "交通出行", "en": "Traffic and transport"},
    "environment": {"zh": "生态环境", "en": "Environment"},
    "housing": {"zh": "住房建设", "en": "Housing and construction"},
    "urban_management": {"zh": "城市管理", "en": "Urban management"},
    "social_security": {"zh": "社会保障", "en": "Social security"},
    "market_regulation": {"zh": "市场监管", "en": "Market regulation"},
    "public_security": {"zh": "公共安全", "en": "Public security"},
    "education": {"zh": "教育", "en": "Education"},
    "health": {"zh": "医疗卫生", "en": "Health"},
    "other": {"zh": "其他", "en": "Other"},
}

#: Per-district responsible bodies for each topic: (unit id suffix, Chinese name, English name).
_UNIT_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "traffic": ("traffic-police", "{d}交警大队", "{d} Traffic Police Brigade"),
    "environment": ("ecology", "{d}生态环境局", "{d} Ecology and Environment Bureau"),
    "housing": ("housing", "{d}住房和建设局", "{d} Housing and Construction Bureau"),
    "urban_management": ("urban-management", "{d}城市管理和综合执法局", "{d} Urban Management Bureau"),
    "social_security": ("hrss", "{d}人力资源局", "{d} Human Resources Bureau"),
    "market_regulation": ("market", "{d}市场监督管理局", "{d} Market Regulation Bureau"),
    "public_security": ("police", "{d}公安分局", "{d} Public Security Sub-bureau"),
    "education": ("education", "{d}教育局", "{d} Education Bureau"),
    "health": ("health", "{d}卫生健康局", "{d} Health Commission"),
}

#: Shenzhen, with a margin: Dapeng's eastern tip to Bao'an's west coast, Guangming to the harbour.
SHENZHEN_BOUNDS = Bounds(south=22.40, west=113.70, north=22.90, east=114.70)

#: The city dispatch centre's queue: cases with no matching rule, or returned as misrouted.
DISPATCH_CENTRE = Unit(
    id="dispatch-centre", name="市民意速办调度中心", name_en="City Dispatch Centre", duty_phone="+8613900000999"
)
#: Supervisors (督办): told of escalations and special supervision on this duty phone.
SUPERVISION_OFFICE = Unit(
    id="supervision-office", name="市民意速办督办处", name_en="City Supervision Office", duty_phone="+8613900000000"
)


def _duty_phone(index: int) -> str:
    return f"+86139{index:08d}"


def shenzhen_units_and_rules() -> tuple[list[Unit], list[RoutingRule]]:
    units: list[Unit] = []
    rules: list[RoutingRule] = []
    n = 0
    for district, dnames in DISTRICTS.items():
        for topic, (suffix, zh, en) in _UNIT_TEMPLATES.items():
            n += 1
            unit = Unit(
                id=f"{district}-{suffix}",
                name=zh.format(d=dnames["zh"]),
                name_en=en.format(d=dnames["en"]),
                district=district,
                duty_phone=_duty_phone(n),
                topics=[topic],
            )
            units.append(unit)
            rules.append(RoutingRule(topic=topic, district=district, unit_id=unit.id))
        # topic "other" has no rule: such cases wait for a dispatcher.
    units.append(DISPATCH_CENTRE)
    units.append(SUPERVISION_OFFICE)
    return units, rules


def shenzhen_catalog() -> Catalog:
    units, _ = shenzhen_units_and_rules()
    return Catalog(
        categories=list(Category),
        topics=TOPICS,
        districts=DISTRICTS,
        units={u.id: u for u in units},
        deadline_days=dict(DEFAULT_DEADLINE_DAYS),
        bounds=SHENZHEN_BOUNDS,
    )
