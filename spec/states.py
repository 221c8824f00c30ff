"""The eleven connection states of RFC 9293 section 3.3.2, and the groups the rules refer to."""

from __future__ import annotations

from enum import IntEnum


class State(IntEnum):
    """RFC 9293 section 3.3.2 (Figure 5). Values are stable: they are the Z3 encoding too."""

    CLOSED = 0
    LISTEN = 1
    SYN_SENT = 2
    SYN_RECEIVED = 3
    ESTABLISHED = 4
    FIN_WAIT_1 = 5
    FIN_WAIT_2 = 6
    CLOSE_WAIT = 7
    CLOSING = 8
    LAST_ACK = 9
    TIME_WAIT = 10


class Reason(IntEnum):
    """Why a connection ended: what the user is told (RFC 9293 section 3.10)."""

    NONE = 0  # not ended (or never opened)
    NORMAL = 1  # both FINs exchanged and acknowledged
    RESET = 2  # "connection reset" (RST received)
    REFUSED = 3  # "connection refused" (RST received in SYN-SENT or active SYN-RECEIVED)
    TIMEOUT = 4  # retransmissions exhausted (RFC 9293 section 3.8.3, R2)
    ABORT = 5  # the local user called ABORT


S = State
#: States in which both ISNs are known and acknowledged (RFC 9293 section 3.3.2: "synchronized").
SYNCHRONIZED = frozenset(
    {S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT}
)
#: States handled by the multi-step procedure of section 3.10.7.4 ("Other states").
OTHER_STATES = SYNCHRONIZED | {S.SYN_RECEIVED}
#: States in which our FIN has been sent.
FIN_SENT = frozenset({S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})
#: States in which the peer's FIN has been received (no more text will arrive).
FIN_RECEIVED = frozenset({S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})
#: States in which a connection attempt is under way.
OPENING = frozenset({S.SYN_SENT, S.SYN_RECEIVED})
#: States in which nothing is left to do.
AT_REST = frozenset({S.CLOSED, S.LISTEN})
#: States in which text may still be unacknowledged.
MAY_HOLD_TEXT = frozenset(
    {S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING,
     S.LAST_ACK}
)
