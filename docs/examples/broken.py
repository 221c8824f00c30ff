"""A mistake on purpose (the tutorial shows the error): Python's `and` on a state's fields."""

from tcpspec.api import Property

PROPERTIES = [
    Property(
        "mine.both_data",
        "invariant",
        "Both were given data.",
        "-",
        lambda m, w: w.eps[0].rcvd > 0 and w.eps[1].rcvd > 0,
    ),
]
