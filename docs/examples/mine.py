"""My own property of TCP, checked by tcpspec: `tcpspec verify --load docs/examples/mine.py`.

A FIN is acted on only after every byte before it: a side that has seen the peer's FIN (it is
in CLOSE-WAIT, LAST-ACK, CLOSING or TIME-WAIT) has been given everything the peer sent.
"""

from tcpspec.api import (
    And,
    Implies,
    In,
    Mutant,
    Property,
    Scenario,
    State,
    client,
    forall_sides,
    replace_case,
    server,
)

FIN_SEEN = {State.CLOSE_WAIT, State.LAST_ACK, State.CLOSING, State.TIME_WAIT}


def fin_after_all_data(m, w):
    """w.eps[0] is the client, w.eps[1] the server: their TCBs and their applications."""
    return forall_sides(
        lambda i: Implies(In(w.eps[i].st, FIN_SEEN), w.eps[i].rcvd == w.eps[1 - i].sent)
    )


def fin_seen_after_data(m, w):
    """The "sometimes" witness: a side sees the FIN after being given data."""
    return forall_sides(lambda i: And(In(w.eps[i].st, FIN_SEEN), w.eps[i].rcvd > 0))


PROPERTIES = [
    Property(
        "mine.fin_after_all_data",
        "invariant",
        "A side that has seen the peer's FIN has been given every unit the peer sent.",
        "RFC 9293 3.10.7.4 (eighth, the FIN bit)",
        fin_after_all_data,
        witness="mine.fin_seen_after_data",
    ),
    Property(
        "mine.fin_seen_after_data",
        "reachable",
        "Both sides see the peer's FIN after being given its data.",
        "RFC 9293 3.6",
        fin_seen_after_data,
    ),
]

MUTANTS = [
    Mutant(
        "mine.fin-ahead-of-data",
        "A FIN that arrives before missing data is acted on at once.",
        "mine.fin_after_all_data",
        "connect-close",
        replace_case("fin.out_of_order", lambda case: None),  # the rule that makes FIN wait
    ),
]

SCENARIOS = [
    Scenario(
        "mine.simultaneous-data",
        "Both sides open at once (Figure 7), each sends a unit of data, both close.",
        client(active=True),
        server(active=True),
    ),
]
