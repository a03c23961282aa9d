"""Pricing rules: discounts, VAT and order totals."""

VAT_RATE = 0.20


def parse_price(text):
    """Parse '12.50', '€12.50' or '12,50 EUR' into a float."""
    cleaned = text.strip().replace("€", "").replace("EUR", "").strip()
    cleaned = cleaned.replace(",", ".")
    if not cleaned:
        raise ValueError(f"not a price: {text!r}")
    return float(cleaned)


def apply_discount(price, percent):
    if not 0 <= percent <= 100:
        raise ValueError(f"discount out of range: {percent}")
    return round(price * (100 - percent) / 100, 2)


def price_order(inventory, lines, discount_percent=0, vat=VAT_RATE):
    """Price an order given as [(sku, quantity), ...].

    Returns a dict with the per-line amounts, the net total, the VAT and
    the gross total, all rounded to cents.
    """
    result_lines = []
    net = 0.0
    for sku, qty in lines:
        item = inventory.item(sku)
        amount = apply_discount(item.unit_price * qty, discount_percent)
        result_lines.append({"sku": sku, "quantity": qty, "amount": amount})
        net += amount
    net = round(net, 2)
    tax = round(net * vat, 2)
    return {"lines": result_lines, "net": net, "vat": tax, "gross": round(net + tax, 2)}
