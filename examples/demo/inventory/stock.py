"""Stock keeping: items, quantities and a simple CSV persistence format."""

from dataclasses import dataclass
from pathlib import Path


class OutOfStock(Exception):
    """Raised when more units are requested than are on hand."""


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    unit_price: float  # in euros


class Inventory:
    def __init__(self):
        self._items = {}
        self._quantities = {}

    def add(self, item, quantity=1):
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, got {quantity}")
        self._items[item.sku] = item
        self._quantities[item.sku] = self._quantities.get(item.sku, 0) + quantity

    def remove(self, sku, quantity=1):
        on_hand = self._quantities.get(sku, 0)
        if quantity > on_hand:
            raise OutOfStock(f"{sku}: wanted {quantity}, have {on_hand}")
        self._quantities[sku] = on_hand - quantity

    def quantity(self, sku):
        return self._quantities.get(sku, 0)

    def item(self, sku):
        return self._items[sku]

    def skus(self):
        return sorted(self._items)

    def summary(self):
        """Quantity on hand per SKU, for every SKU ever added."""
        return {sku: self._quantities[sku] for sku in self.skus()}

    def total_value(self):
        return round(sum(self._items[s].unit_price * q
                         for s, q in self._quantities.items()), 2)

    def save(self, path):
        lines = ["sku,name,unit_price,quantity"]
        for sku in self.skus():
            it = self._items[sku]
            lines.append(f"{sku},{it.name},{it.unit_price},{self._quantities[sku]}")
        Path(path).write_text("\n".join(lines) + "\n")

    @classmethod
    def load(cls, path):
        inv = cls()
        rows = Path(path).read_text().splitlines()[1:]
        for row in rows:
            sku, name, price, qty = row.split(",")
            if int(qty) > 0:
                inv.add(Item(sku, name, float(price)), int(qty))
            else:
                inv._items[sku] = Item(sku, name, float(price))
                inv._quantities[sku] = 0
        return inv
