"""Ghost (history) variables: what properties need to know about the past, and nothing else.

TCP never reads these fields. They are updated here, outside the rules, from what an endpoint
received and sent, so that a broken rule (a mutant) cannot also hide its own traces.
Written with `spec.logic` so both engines apply the very same updates.
"""

from __future__ import annotations

from typing import Any

from tcpspec.spec.logic import And, If, In, Not, Or
from tcpspec.spec.states import AT_REST
from tcpspec.spec.states import State as S


def after_arrival(before: Any, after: Any, seg: Any, reply: Any, replied: Any, iss: int) -> dict:
    """Ghost updates when ``seg`` arrives; ``replied`` says whether ``reply`` was emitted."""
    rst_reply = And(replied, reply.rst)
    return dict(
        rcvd_syn=Or(before.rcvd_syn, And(seg.syn, Not(seg.rst))),
        rcvd_ack_of_syn=Or(before.rcvd_ack_of_syn,
                           And(seg.ack, Not(seg.rst), seg.ackno > iss)),
        # a connection state made by a segment of an earlier incarnation is tainted until the
        # endpoint is back at rest
        tainted=If(In(after.st, AT_REST), False,
                   Or(before.tainted, And(seg.stale, after.st != before.st))),
        stale_data=Or(before.stale_data, And(seg.stale, after.rcvd > before.rcvd)),
        # a stray SYN+ACK (answering an old SYN) reaching a side that has no such connection
        # must be answered by RST (RFC 9293 section 3.5, Figure 8)
        stray_kept=Or(before.stray_kept,
                      And(seg.stale, seg.syn, seg.ack, Not(seg.rst),
                          In(before.st, {S.CLOSED, S.LISTEN, S.SYN_SENT}), Not(rst_reply))),
    )


def after_local(before: Any, after: Any) -> dict:
    """Ghost updates after a user call or a timeout."""
    return dict(tainted=If(In(after.st, AT_REST), False, before.tainted))


def reply_is_stale(after: Any) -> Any:
    """A segment sent by a connection that a stale segment created is stale too."""
    return after.tainted
