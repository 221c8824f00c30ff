"""One endpoint: its TCB (RFC 9293 section 3.3.1), its application's progress, its ghosts."""

from __future__ import annotations

from typing import NamedTuple

from tcpspec.spec.states import Reason, State

OFF = -1  # a timer that is not running



class Endpoint(NamedTuple):
    """An immutable snapshot of one side of the connection.

    TCB variables (RFC 9293 section 3.3.1): ``st``, ``irs``, ``snd_una``, ``snd_nxt``, ``rcv_nxt``
    (ISS is a constant of the side, see `spec.model.Side`). Timers count down in clock ticks:
    ``rto`` (retransmission, RFC 6298), ``tw`` (the TIME-WAIT 2*MSL timer); OFF when stopped,
    0 when due. ``retries`` counts retransmissions of the oldest unacknowledged segment.

    Application: ``sent`` data units it has SENT, ``rcvd`` data units delivered to it,
    ``reason`` what it was told when the connection ended.

    Ghosts (no rule reads them; properties do): ``rcvd_syn`` a SYN has arrived from the peer,
    ``rcvd_ack_of_syn`` an ACK covering our own SYN has arrived, ``tainted`` the current
    connection state was created by a stale segment, ``stale_data`` data of an earlier
    incarnation was delivered, ``stray_kept`` a stray SYN+ACK (answering an old SYN) was
    not answered by RST.
    """

    st: State = State.CLOSED
    irs: int = 0
    snd_una: int = 0
    snd_nxt: int = 0
    rcv_nxt: int = 0
    rto: int = OFF
    retries: int = 0
    tw: int = OFF
    sent: int = 0
    rcvd: int = 0
    reason: Reason = Reason.NONE
    rcvd_syn: bool = False
    rcvd_ack_of_syn: bool = False
    tainted: bool = False
    stale_data: bool = False
    stray_kept: bool = False


#: Fields that TCP itself reads and writes (the rest are application progress and ghosts).
TCB_FIELDS = ("st", "irs", "snd_una", "snd_nxt", "rcv_nxt", "rto", "retries", "tw")
