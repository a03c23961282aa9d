"""A tiny inventory and pricing package used by Tach's demo test suite."""

from .stock import Item, Inventory, OutOfStock
from .pricing import apply_discount, price_order, parse_price

__all__ = [
    "Item",
    "Inventory",
    "OutOfStock",
    "apply_discount",
    "price_order",
    "parse_price",
]
