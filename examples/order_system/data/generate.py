#!/usr/bin/env python3
"""Regenerates the order system's demo data set: catalogue.json and orders.jsonl.

    python3 examples/order_system/data/generate.py [--orders 20000] [--seed 7]

Deterministic: the same seed and order count always give byte-identical files.
Standard library only. See README.md beside it for what the files hold.
"""

import argparse
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

ITEMS = 50
CORRUPT = ["SKU-0013", "SKU-0029", "SKU-0047"]  # unit_price_cents is "n/a": the poison input
LOW_STOCK = {"SKU-0005": 20, "SKU-0021": 100, "SKU-0038": 250}  # run out during a full replay
LOW_STOCK_WEIGHT = 0.25  # low-stock items are picked this often relative to the others
CORRUPT_PRICE = 1000  # what a poison order's amount assumes a corrupt item costs
CUSTOMERS = 2000
HOT_CUSTOMERS = ["cust-0007", "cust-1313"]  # sent in long runs, to meet the rate limiter
HOT_RUN = 60  # orders in one hot run (the limiter allows a burst of 20 at 20/s)
HOT_RUNS = 10  # hot runs in a full replay, spread evenly

# Shares of the non-hot orders; the rest are good.
MALFORMED = 0.02
UNKNOWN_ITEM = 0.01
POISON = 0.005
DECLINED = 0.02

GOOD_CARDS = ["tok_visa_4242", "tok_mastercard_4444", "tok_amex_0005", "tok_visa_1881"]
DECLINED_CARDS = ["tok_declined_insufficient_funds", "tok_declined_stolen", "tok_declined_expired"]

ADJECTIVES = ["Red", "Blue", "Green", "Steel", "Oak", "Linen", "Cotton", "Glass", "Copper", "Wool"]
NOUNS = ["Mug", "Lamp", "Chair", "Notebook", "Kettle", "Scarf", "Bowl", "Clock", "Pen", "Blanket"]


def dumps(value):
    """One JSON line, the way a client would send it."""
    return json.dumps(value, separators=(", ", ": "))


def make_catalogue(rng):
    """The catalogue: ITEMS items, CORRUPT ones priced "n/a", LOW_STOCK ones nearly sold out."""
    catalogue = []
    for n in range(1, ITEMS + 1):
        sku = "SKU-%04d" % n
        catalogue.append({
            "item": sku,
            "name": "%s %s" % (rng.choice(ADJECTIVES), rng.choice(NOUNS)),
            "unit_price_cents": "n/a" if sku in CORRUPT else rng.randrange(199, 20000, 100),
            "stock": LOW_STOCK.get(sku, 100000),
        })
    return catalogue


class order_maker:
    """Builds order bodies of each kind from the catalogue."""

    def __init__(self, rng, catalogue):
        self.rng = rng
        self.price = {c["item"]: c["unit_price_cents"] for c in catalogue}
        self.sellable = [c["item"] for c in catalogue if c["item"] not in CORRUPT]
        self.weights = [LOW_STOCK_WEIGHT if i in LOW_STOCK else 1.0 for i in self.sellable]

    def customer(self):
        return "cust-%04d" % self.rng.randint(1, CUSTOMERS)

    def lines(self):
        """1 to 3 distinct sellable items, quantities 1 to 3."""
        n = self.rng.choices([1, 2, 3], weights=[5, 3, 2])[0]
        items = []
        while len(items) < n:
            item = self.rng.choices(self.sellable, weights=self.weights)[0]
            if item not in [line["item"] for line in items]:
                items.append({"item": item, "quantity": self.rng.randint(1, 3)})
        return items

    def amount(self, items):
        total = 0
        for line in items:
            price = self.price.get(line["item"], CORRUPT_PRICE)
            total += line["quantity"] * (price if isinstance(price, int) else CORRUPT_PRICE)
        return total

    def order(self, customer=None, items=None, card=None):
        items = items if items is not None else self.lines()
        return {
            "customer": customer or self.customer(),
            "items": items,
            "amount_cents": self.amount(items),
            "card_token": card or self.rng.choice(GOOD_CARDS),
        }

    def good(self, customer=None):
        return dumps(self.order(customer))

    def declined(self):
        return dumps(self.order(card=self.rng.choice(DECLINED_CARDS)))

    def unknown_item(self):
        items = self.lines()
        items[self.rng.randrange(len(items))] = {
            "item": "SKU-9%03d" % self.rng.randint(0, 999), "quantity": self.rng.randint(1, 3)}
        return dumps(self.order(items=items))

    def poison(self):
        items = self.lines()
        items[self.rng.randrange(len(items))] = {
            "item": self.rng.choice(CORRUPT), "quantity": self.rng.randint(1, 3)}
        return dumps(self.order(items=items))

    def malformed(self):
        """A body the service must answer 400: one of several ways to get it wrong."""
        o = self.order()
        kind = self.rng.randrange(12)
        if kind == 0:  # truncated JSON
            text = dumps(o)
            return text[: self.rng.randrange(1, len(text) - 1)]
        if kind == 1:  # not JSON at all
            return self.rng.choice(["customer=cust-0001&item=SKU-0001", "<order/>", "hello", "{"])
        if kind == 2:  # a missing field
            del o[self.rng.choice(["customer", "items", "amount_cents", "card_token"])]
        elif kind == 3:  # amount as a string
            o["amount_cents"] = str(o["amount_cents"])
        elif kind == 4:  # non-positive amount
            o["amount_cents"] = self.rng.choice([0, -o["amount_cents"]])
        elif kind == 5:  # zero or negative quantity
            o["items"][0]["quantity"] = self.rng.choice([0, -1, -5])
        elif kind == 6:  # quantity as a string
            o["items"][0]["quantity"] = str(o["items"][0]["quantity"])
        elif kind == 7:  # no items
            o["items"] = []
        elif kind == 8:  # items not an array
            o["items"] = o["items"][0]
        elif kind == 9:  # customer not a string
            o["customer"] = self.rng.randint(1, CUSTOMERS)
        elif kind == 10:  # not an object
            return dumps([o])
        else:  # an item line without its item code
            del o["items"][0]["item"]
        return dumps(o)


def make_orders(rng, catalogue, count):
    """`count` request bodies: hot runs spread evenly, the rest drawn by the shares above."""
    maker = order_maker(rng, catalogue)
    runs = min(HOT_RUNS, count // (4 * HOT_RUN))
    run_starts = {int((k + 0.5) * count / runs) for k in range(runs)} if runs else set()
    orders = []
    run = 0
    while len(orders) < count:
        if len(orders) in run_starts:
            hot = HOT_CUSTOMERS[run % len(HOT_CUSTOMERS)]
            run += 1
            orders.extend(maker.good(hot) for _ in range(min(HOT_RUN, count - len(orders))))
            continue
        r = rng.random()
        if r < MALFORMED:
            orders.append(maker.malformed())
        elif r < MALFORMED + UNKNOWN_ITEM:
            orders.append(maker.unknown_item())
        elif r < MALFORMED + UNKNOWN_ITEM + POISON:
            orders.append(maker.poison())
        elif r < MALFORMED + UNKNOWN_ITEM + POISON + DECLINED:
            orders.append(maker.declined())
        else:
            orders.append(maker.good())
    return orders


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20000, help="lines in orders.jsonl")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--out", default=HERE, help="directory to write to")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    catalogue = make_catalogue(rng)
    orders = make_orders(rng, catalogue, args.orders)
    for body in orders:
        assert "\n" not in body and body.strip(), body
    with open(os.path.join(args.out, "catalogue.json"), "w", encoding="utf-8") as f:
        json.dump(catalogue, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "orders.jsonl"), "w", encoding="utf-8") as f:
        f.writelines(body + "\n" for body in orders)


if __name__ == "__main__":
    main()
