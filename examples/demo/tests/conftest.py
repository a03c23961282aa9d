import pytest

from inventory import Inventory, Item


@pytest.fixture(scope="session")
def catalogue():
    """The items the shop sells, shared by every test (read-only)."""
    return {
        "APL": Item("APL", "apple", 0.40),
        "BRD": Item("BRD", "bread", 2.10),
        "CHS": Item("CHS", "cheese", 6.75),
    }


@pytest.fixture
def inventory(catalogue):
    """A fresh inventory with some stock in it."""
    inv = Inventory()
    inv.add(catalogue["APL"], 50)
    inv.add(catalogue["BRD"], 10)
    inv.add(catalogue["CHS"], 4)
    return inv
