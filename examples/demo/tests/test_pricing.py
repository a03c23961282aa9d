import pytest

from inventory import apply_discount, parse_price, price_order

pytestmark = pytest.mark.pricing


@pytest.mark.parametrize(
    "text, expected",
    [("12.50", 12.50), ("€3", 3.0), ("7,25 EUR", 7.25)],
    ids=["plain", "euro-sign", "comma-decimal"],
)
def test_parse_price(text, expected):
    assert parse_price(text) == expected


def test_parse_price_rejects_empty():
    with pytest.raises(ValueError, match="not a price"):
        parse_price(" € ")


@pytest.mark.parametrize("percent, expected", [(0, 10.0), (25, 7.5), (100, 0.0)])
def test_apply_discount(percent, expected):
    assert apply_discount(10.0, percent) == expected


def test_price_order_totals(inventory):
    order = price_order(inventory, [("APL", 10), ("BRD", 2)])
    assert order["net"] == 8.20
    assert order["vat"] == 1.64
    assert order["gross"] == 9.84


def test_price_order_lines_with_discount(inventory):
    # Known bug: the discount should only apply to lines of 10 units or more.
    order = price_order(inventory, [("APL", 10), ("CHS", 1)], discount_percent=10)
    assert order["lines"] == [
        {"sku": "APL", "quantity": 10, "amount": 3.60},
        {"sku": "CHS", "quantity": 1, "amount": 6.75},
    ]


@pytest.mark.xfail(reason="rounding is done per line, not on the total (issue #12)")
def test_vat_on_many_small_lines(inventory):
    order = price_order(inventory, [("APL", 1)] * 3, vat=0.055)
    assert order["vat"] == round(3 * 0.40 * 0.055, 3)
